import {
  createTaskInputSchema,
  type DecisionAction,
  decisionInputSchema,
  type QueueConfigInput,
  queueConfigSchema,
  type Role,
  type Task,
} from '@loopgate/shared';
import { createApiKey } from '../domain/admin/api-keys.js';
import { upsertUser } from '../domain/admin/users.js';
import { createWorkspace, resolveWorkspace } from '../domain/admin/workspaces.js';
import { createQueue, createReviewerGroup, type QueueView, updateQueue } from '../domain/approvals/queues.js';
import type { SweeperDeps } from '../domain/approvals/sla-sweeper.js';
import { decideTask, listVotes } from '../domain/approvals/vote.js';
import type { Principal } from '../domain/kernel/access.js';
import type { EmailMessage } from '../domain/kernel/notifier.js';
import type { Store } from '../domain/store.js';
import { createTask } from '../domain/tasks/create-task.js';
import { getTask, listTaskEvents } from '../domain/tasks/read-tasks.js';
import type { TaskChangeDeps } from '../domain/tasks/task-transition.js';
import { toTaskEventView, toTaskView } from '../domain/tasks/task-view.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';
import { openTestStore, type TestDatabase } from './databases.js';

export const PASSWORD = 'correct horse battery';

/** A task event as a reviewer reads it, with its data open for the test to look into. */
export interface EventBody {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  actor: { type: string; name: string };
  data: Record<string, unknown> | null;
  reason: string | null;
}

/** The API keys every world starts with: name, role, and whether they belong to the second workspace. */
const CAST = [
  ['admin', 'admin', false],
  ['reviewer', 'reviewer', false],
  ['viewer', 'viewer', false],
  ['ops1', 'reviewer', false],
  ['ops2', 'reviewer', false],
  ['ops3', 'reviewer', false],
  ['comp1', 'reviewer', false],
  ['mgr1', 'reviewer', false],
  ['outsider', 'reviewer', false],
  ['otherWorkspaceAdmin', 'admin', true],
] as const satisfies readonly (readonly [string, Role, boolean])[];
export type CastName = (typeof CAST)[number][0];

/** Someone of the cast: their API key (for the HTTP tests) and the principal it authenticates as. */
export interface Member {
  id: string;
  key: string;
  principal: Principal;
}

/**
 * A workspace set up for approval workflows, driven through the domain use cases on a real store:
 * - API keys `admin`, `reviewer`, `viewer`, reviewers `ops1`–`ops3`, `comp1`, `mgr1`, `outsider`,
 *   and `otherWorkspaceAdmin` (admin of a second workspace);
 * - users ops@example.com and boss@example.com (reviewers, with e-mail);
 * - groups ops (ops1–3), compliance (comp1), managers (mgr1, boss) and night (the ops and boss users);
 * - a clock the test moves (`now`), a sweeper over it, and the mail it sent.
 * Tasks read as views (`Task`), as a reviewer would see them.
 */
export class ApprovalsWorld {
  store!: Store;
  workspaceId!: string;
  readonly bus = new InProcessTaskEventBus();
  now = Date.now();
  readonly clock = () => this.now;
  readonly mail: EmailMessage[] = [];
  readonly members: Record<string, Member> = {};
  private closeStore: () => Promise<void> = async () => undefined;

  get deps(): TaskChangeDeps {
    return { store: this.store, bus: this.bus, clock: this.clock };
  }

  get sweeper(): SweeperDeps {
    return {
      ...this.deps,
      notifier: { send: async (message) => void this.mail.push(message) },
      publicUrl: 'http://loopgate.test',
    };
  }

  /** The principal of a member of the cast. */
  as(name: string): Principal {
    const member = this.members[name];
    if (!member) throw new Error(`nobody called ${name}`);
    return member.principal;
  }

  /** The API key of every member of the cast, by name (for an app over the same store). */
  get keys(): Record<CastName, string> {
    return Object.fromEntries(CAST.map(([name]) => [name, this.members[name]?.key ?? ''])) as Record<CastName, string>;
  }

  async open(database: TestDatabase): Promise<void> {
    const opened = await openTestStore(database);
    this.store = opened.store;
    this.closeStore = opened.close;
    const deps = { store: this.store, clock: this.clock };
    this.workspaceId = (await resolveWorkspace(deps)).id;
    const other = await createWorkspace(deps, 'other');
    for (const [name, role, elsewhere] of CAST) await this.newKey(name, role, elsewhere ? other.slug : undefined);

    const ops = await upsertUser(deps, { email: 'ops@example.com', password: PASSWORD, role: 'reviewer' });
    const boss = await upsertUser(deps, { email: 'boss@example.com', password: PASSWORD, role: 'reviewer' });
    const id = (name: string) => this.members[name]?.id ?? '';
    await this.group('ops', [id('ops1'), id('ops2'), id('ops3')]);
    await this.group('compliance', [id('comp1')]);
    await this.group('managers', [id('mgr1'), boss.userId]);
    await this.group('night', [ops.userId, 'boss@example.com']);
  }

  async close(): Promise<void> {
    await this.closeStore();
  }

  /** One more API key of the default workspace (or of `workspaceSlug`), joining the cast as `name`. */
  async newKey(name: string, role: Role = 'reviewer', workspaceSlug?: string): Promise<Principal> {
    const created = await createApiKey({ store: this.store, clock: this.clock }, { name, role, workspaceSlug });
    const principal: Principal = {
      workspaceId: created.workspace.id,
      role,
      actor: { type: 'api_key', id: created.id, name },
    };
    this.members[name] = { id: created.id, key: created.key, principal };
    return principal;
  }

  async group(name: string, members: string[]) {
    return createReviewerGroup({ store: this.store, clock: this.clock }, this.as('admin'), { name, members });
  }

  async queue(name: string, config: QueueConfigInput): Promise<QueueView> {
    return createQueue({ store: this.store, clock: this.clock }, this.as('admin'), {
      name,
      config: queueConfigSchema.parse(config),
    });
  }

  async updateQueue(name: string, config: QueueConfigInput): Promise<QueueView> {
    return updateQueue(
      { store: this.store, clock: this.clock },
      this.as('admin'),
      name,
      queueConfigSchema.parse(config),
    );
  }

  /** Creates a task (a refund of 50 unless `body` says otherwise) as `by`, the reviewer key by default. */
  async create(body: object = {}, by: Principal = this.as('reviewer')): Promise<Task> {
    const input = createTaskInputSchema.parse({ title: 'Refund', payload: { amount: 50 }, ...body });
    const created = await createTask(this.deps, by, input);
    if (created.kind !== 'created') throw new Error(`expected a new task, got ${created.kind}`);
    return toTaskView(created.task, by);
  }

  async decide(id: string, by: Principal, action: DecisionAction = 'approve', extra: object = {}): Promise<Task> {
    const input = decisionInputSchema.parse({ action, ...extra });
    return toTaskView(await decideTask(this.deps, by, id, input), by);
  }

  async get(id: string): Promise<Task> {
    const viewer = this.as('viewer');
    return toTaskView(await getTask(this.deps, viewer, id), viewer);
  }

  async events(id: string): Promise<EventBody[]> {
    return (await listTaskEvents(this.deps, this.as('viewer'), id)).map(toTaskEventView) as EventBody[];
  }

  async votes(id: string, by: Principal = this.as('viewer')) {
    return listVotes(this.deps, by, id);
  }
}

/** An ApprovalsWorld opened before the describe block's tests and closed after them. */
export function useApprovalsWorld(database: TestDatabase): ApprovalsWorld {
  const world = new ApprovalsWorld();
  beforeAll(() => world.open(database));
  afterAll(() => world.close());
  return world;
}
