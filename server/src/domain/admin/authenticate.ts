import type { Principal } from '../kernel/access.js';
import type { TaskEventBus } from '../kernel/bus.js';
import { AppError } from '../kernel/errors.js';
import { hashToken } from '../kernel/secrets.js';
import type { CacheInvalidation, Store } from '../store.js';

const API_KEY_SHAPE = /^lg_[0-9a-z]{8}_[0-9a-z]{40}$/;

/** A key's last_used_at moves at most this often, so a busy key costs one write a minute, not one per request. */
export const LAST_USED_INTERVAL_MS = 60_000;

export interface ApiKeyAuthenticatorDeps {
  store: Store;
  clock: () => number;
  /** Revocations on any process arrive here and evict the key from this process's cache at once. */
  bus: Pick<TaskEventBus, 'onInvalidate'>;
  /** Told when recording a key's last use failed (the request it belongs to has gone on regardless). */
  onUsageError?: (error: unknown) => void;
}

/**
 * Turns an API key into a principal. Lookups are cached for a few seconds so a busy client does not
 * cost a database read per request. A revocation evicts the key at once through the bus; the TTL is
 * the backstop for an invalidation that never arrives (Redis restarting), so a revoked key works on
 * another process for at most `ttlMs` after its revocation, and on the revoking process not at all.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal; keyId: string; expiresAt: number }>();
  /**
   * Bumped by every invalidation. A lookup that started before one may have read the key before it
   * was revoked; such a result answers its own request but is not cached.
   */
  private generation = 0;
  private readonly lastRecordedUse = new Map<string, number>();
  private readonly pendingUsageWrites = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: ApiKeyAuthenticatorDeps,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {
    this.unsubscribe = deps.bus.onInvalidate((message) => this.evict(message));
  }

  async authenticate(key: string): Promise<Principal> {
    if (!API_KEY_SHAPE.test(key)) throw new AppError('unauthorized', 'The API key is malformed (expected lg_…)');
    const keyHash = hashToken(key);
    const now = this.deps.clock();
    const cached = this.cache.get(keyHash);
    if (cached && cached.expiresAt > now) {
      this.recordUse(cached.keyId, now);
      return cached.principal;
    }

    const generation = this.generation;
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
    if (generation === this.generation) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(keyHash, { principal, keyId: record.id, expiresAt: now + this.ttlMs });
    }
    this.recordUse(record.id, now);
    return principal;
  }

  /**
   * Resolves once every last-use write started so far has finished: tests read last_used_at after
   * it, and the server calls it before closing the database.
   */
  async settle(): Promise<void> {
    await Promise.all([...this.pendingUsageWrites]);
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.settle();
  }

  private evict(message: CacheInvalidation): void {
    if (message.topic !== 'api_key') return;
    this.generation++;
    for (const [keyHash, entry] of this.cache) {
      if (entry.keyId === message.id) this.cache.delete(keyHash);
    }
  }

  /**
   * Off the request's path: the write is not awaited, and a key is written at most once a minute per
   * process. The UPDATE is conditional too, so N processes still move it at most once a minute.
   */
  private recordUse(keyId: string, now: number): void {
    const last = this.lastRecordedUse.get(keyId);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    if (this.lastRecordedUse.size >= this.maxEntries) this.lastRecordedUse.clear();
    this.lastRecordedUse.set(keyId, now);
    const write: Promise<void> = this.deps.store
      .transaction((tx) => tx.apiKeys.touchLastUsed(keyId, now, now - LAST_USED_INTERVAL_MS))
      .then(
        () => undefined,
        (error: unknown) => this.deps.onUsageError?.(error),
      )
      .finally(() => this.pendingUsageWrites.delete(write));
    this.pendingUsageWrites.add(write);
  }
}
