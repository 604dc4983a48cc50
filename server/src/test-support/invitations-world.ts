import type { Role } from '@loopgate/shared';
import type { WorkspaceRecord } from '../domain/admin/admin-ports.js';
import { upsertUser } from '../domain/admin/users.js';
import { createWorkspace, resolveWorkspace } from '../domain/admin/workspaces.js';
import type { Principal } from '../domain/kernel/access.js';
import type { EmailMessage } from '../domain/kernel/notifier.js';
import { type InvitationDeps, inviteMember } from '../domain/reviewers/invitations.js';
import { logIn } from '../domain/reviewers/sessions.js';
import type { Store } from '../domain/store.js';
import { openTestStore, type TestDatabase } from './databases.js';
import { FakeAttemptLimiter } from './fake-attempt-limiter.js';

export const PASSWORD = 'correct horse battery';
export const PUBLIC_URL = 'https://lg.example.com/';
/** The invitation link in a mail's text; group 1 is the link, group 2 its token. */
export const LINK = /^ {2}(https:\/\/lg\.example\.com\/invite\/([\w-]{43}))$/m;

/**
 * The default workspace with one user per role (admin "Ada Admin", reviewer@…, viewer@…), a mail
 * box the invitations go to, and a clock that moves a minute before each test (the mail box empties).
 */
export class InvitationsWorld {
  store!: Store;
  workspace!: WorkspaceRecord;
  now = Date.UTC(2026, 0, 5, 9, 0, 0);
  readonly clock = () => this.now;
  readonly mail: EmailMessage[] = [];
  readonly principals = {} as Record<Role, Principal>;
  private closeStore: () => Promise<void> = async () => undefined;

  constructor(private readonly database: TestDatabase) {}

  /** Store and clock: what most use cases need. */
  get base() {
    return { store: this.store, clock: this.clock };
  }

  get deps(): InvitationDeps {
    return {
      ...this.base,
      notifier: { send: async (message) => void this.mail.push(message) },
      publicUrl: PUBLIC_URL,
    };
  }

  /** What accepting needs, with a fresh attempt limiter each time. */
  acceptDeps() {
    return { ...this.base, limiter: new FakeAttemptLimiter(this.clock) };
  }

  async open(): Promise<void> {
    ({ store: this.store, close: this.closeStore } = await openTestStore(this.database));
    this.workspace = await resolveWorkspace(this.base);
    for (const role of ['admin', 'reviewer', 'viewer'] as const) {
      const { userId } = await upsertUser(this.base, { email: `${role}@example.com`, password: PASSWORD, role });
      this.principals[role] = {
        workspaceId: this.workspace.id,
        role,
        actor: { type: 'user', id: userId, name: role === 'admin' ? 'Ada Admin' : `${role}@example.com` },
      };
    }
  }

  async close(): Promise<void> {
    await this.closeStore();
  }

  /** The admin invites `email`; the answer, the mail it sent, and the link and token in that mail. */
  async invite(email: string, role: Role = 'reviewer', name?: string) {
    const result = await inviteMember(this.deps, this.principals.admin, { email, role, name });
    const message = this.mail[this.mail.length - 1];
    const match = message ? LINK.exec(message.text) : null;
    return { result, message, link: match?.[1] ?? '', token: match?.[2] ?? '' };
  }

  /** Whether `email` can log in with `password` (with a limiter of its own, so tries never run out). */
  canLogIn(email: string, password: string): Promise<boolean> {
    return logIn(
      { ...this.base, limiter: new FakeAttemptLimiter(this.clock) },
      { email, password, clientAddress: 'test' },
    ).then(
      () => true,
      () => false,
    );
  }

  /** An admin of a second workspace, to invite the same address from elsewhere. */
  async otherAdmin(slug: string): Promise<Principal> {
    const other = await createWorkspace(this.base, `${slug}-${this.database}`, `Other ${slug}`);
    const { userId } = await upsertUser(this.base, {
      email: `admin@${slug}.example.com`,
      password: PASSWORD,
      role: 'admin',
      workspaceSlug: other.slug,
    });
    return { workspaceId: other.id, role: 'admin', actor: { type: 'user', id: userId, name: 'Oz Other' } };
  }
}

/** An InvitationsWorld opened before the describe block's tests and closed after them. */
export function useInvitationsWorld(database: TestDatabase): InvitationsWorld {
  const world = new InvitationsWorld(database);
  beforeAll(() => world.open());
  afterAll(() => world.close());
  beforeEach(() => {
    world.mail.length = 0;
    world.now += 60_000;
  });
  return world;
}
