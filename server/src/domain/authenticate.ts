import type { Principal } from './access.js';
import { AppError } from './errors.js';
import type { Store } from './ports.js';
import { hashApiKey } from './secrets.js';

const API_KEY_SHAPE = /^lg_[0-9a-z]{8}_[0-9a-z]{40}$/;

/**
 * Turns an API key into a principal. Lookups are cached for a few seconds so a busy client does
 * not cost a database read per request; the cost is that a revoked key works for up to `ttlMs`.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly deps: { store: Store; clock: () => number },
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  async authenticate(key: string): Promise<Principal> {
    if (!API_KEY_SHAPE.test(key)) throw new AppError('unauthorized', 'The API key is malformed (expected lg_…)');
    const keyHash = hashApiKey(key);
    const now = this.deps.clock();
    const cached = this.cache.get(keyHash);
    if (cached && cached.expiresAt > now) return cached.principal;

    const record = await this.deps.store.read.apiKeys.findByHash(keyHash);
    if (!record || record.revokedAt !== null) {
      this.cache.delete(keyHash);
      throw new AppError('unauthorized', 'The API key is not valid');
    }
    const principal: Principal = {
      workspaceId: record.workspaceId,
      role: record.role,
      actor: { type: 'api_key', id: record.id, name: record.name },
    };
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(keyHash, { principal, expiresAt: now + this.ttlMs });
    return principal;
  }
}
