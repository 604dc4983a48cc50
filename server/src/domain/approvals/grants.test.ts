import { type CreateTaskInput, queueConfigSchema } from '@loopgate/shared';
import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { createWorkspace } from '../admin/workspaces.js';
import { haltTarget } from '../halts/halts.js';
import type { Principal } from '../kernel/access.js';
import type { Repositories, Store } from '../store.js';
import { createTask } from '../tasks/create-task.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { GrantRecord } from './grant-ports.js';
import { grantIdOf, planGrant, revokeGrant } from './grants.js';
import { createQueue } from './queues.js';
import { decideTask } from './vote.js';

const HOUR = 3_600_000;

for (const database of DATABASES) {
  describe(`${database}: standing approvals (domain and storage)`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let now = Date.parse('2026-04-01T10:00:00Z');
    const clock = () => now;
    let reviewer: Principal;
    let admin: Principal;
    const deps = () => ({ store, bus: new InProcessTaskEventBus(), clock });

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      const workspaceId = (await createWorkspace({ store, clock }, 'grants')).id;
      reviewer = { workspaceId, role: 'reviewer', actor: { type: 'api_key', id: 'key_rev', name: 'rev' } };
      admin = { workspaceId, role: 'admin', actor: { type: 'api_key', id: 'key_adm', name: 'adm' } };
      // Low risk takes one level, high risk two: a grant given on a low task never approves a high one.
      const config = queueConfigSchema.parse({
        levels: [{ name: 'first' }, { name: 'second' }],
        policy: { rules: [{ type: 'risk', levels: { low: 1, high: 2 } }] },
      });
      await createQueue({ store, clock }, admin, { name: 'risky', config });
      // A member to name as a task's reviewer (naming a non-member is refused: reviewer_not_member).
      await store.transaction(async (tx) => {
        await tx.users.insert({
          id: 'usr_sam',
          email: 'sam@example.com',
          name: 'Sam',
          passwordHash: 'h',
          createdAt: 1,
        });
        await tx.users.addMembership({
          workspaceId,
          userId: 'usr_sam',
          role: 'reviewer',
          createdAt: 1,
          deactivatedAt: null,
        });
      });
    });
    afterAll(async () => close());

    const create = async (input: Partial<CreateTaskInput> = {}, d = deps()): Promise<TaskRecord> => {
      const result = await createTask(d, admin, {
        title: 'Pay invoice 9',
        payload: { invoice: 9 },
        agent: { id: 'pay-bot' },
        ...input,
      } as CreateTaskInput);
      if (result.kind !== 'created') throw new Error('replayed');
      return result.task;
    };
    const approveWithGrant = (task: TaskRecord, scope: 'payload' | 'title', hours = 1) =>
      decideTask(deps(), reviewer, task.id, { action: 'approve', grant: { scope, hours } });
    const grantOf = async (task: TaskRecord): Promise<GrantRecord> => {
      const [grant] = await store.read.grants.listFromTask(reviewer.workspaceId, task.id);
      if (!grant) throw new Error('no grant');
      return grant;
    };
    /** A store whose committed-data reader answers `read` for some repositories: what a racing request saw. */
    const staleStore = (read: Partial<Repositories>): Store => ({
      read: { ...store.read, ...read },
      transaction: (work) => store.transaction(work),
      ping: () => store.ping(),
      close: async () => undefined,
      dialect: store.dialect,
    });

    test('matching: same queue, agent and key in its scope; the decision names the grant; expiry is exclusive', async () => {
      const grant = await grantOf(await approveWithGrant(await create(), 'payload', 2));
      expect(grant).toMatchObject({ scope: 'payload', agentId: 'pay-bot', uses: 0, expiresAt: now + 2 * HOUR });
      const probe = (keys: Partial<Record<'payload' | 'title', string>>, agentId = 'pay-bot', queue = 'default') =>
        store.read.grants.findMatch(
          reviewer.workspaceId,
          { queue, agentId, keys: { payload: 'x', title: 'x', ...keys } },
          now,
        );
      expect((await probe({ payload: grant.matchKey }))?.id).toBe(grant.id);
      expect(await probe({ title: grant.matchKey })).toBeNull(); // the key of the other scope
      expect(await probe({ payload: grant.matchKey }, 'other-bot')).toBeNull();
      expect(await probe({ payload: grant.matchKey }, 'pay-bot', 'risky')).toBeNull();

      const approved = await create({ title: 'Other title' });
      expect(approved.status).toBe('approved');
      expect(grantIdOf(approved.decision!.decidedBy)).toBe(grant.id);
      expect(approved.decision?.payloadDigest).toBe(grant.payloadDigest);

      now = grant.expiresAt;
      expect(await probe({ payload: grant.matchKey })).toBeNull();
      expect((await create()).status).toBe('pending_review');
      expect(await store.transaction((tx) => tx.grants.recordUse(reviewer.workspaceId, grant.id, now))).toBe(false);
      expect((await store.read.grants.findById(reviewer.workspaceId, grant.id))?.uses).toBe(1);
    });

    test('a grant never approves what the policy sends to more than one level', async () => {
      const low = await create({ queue: 'risky', riskLevel: 'low', title: 'Risky title', payload: { n: 1 } });
      expect(low.workflow?.levels).toBe(1);
      const grant = await grantOf(await approveWithGrant(low, 'title'));
      expect((await create({ queue: 'risky', riskLevel: 'high', title: 'Risky title' })).status).toBe('pending_review');
      expect((await create({ queue: 'risky', riskLevel: 'low', title: 'Risky title' })).status).toBe('approved');
      expect((await store.read.grants.findById(reviewer.workspaceId, grant.id))?.uses).toBe(1);
      // And a vote on a two-level task cannot give one.
      const high = await create({ queue: 'risky', riskLevel: 'high', title: 'Two levels' });
      await expect(approveWithGrant(high, 'title')).rejects.toMatchObject({ code: 'grant_refused' });
    });

    test('revocation: a compare-and-set; only an admin or the giver; revoked, it matches nothing', async () => {
      const task = await create({ title: 'Revocable', payload: { r: 1 } });
      const grant = await grantOf(await approveWithGrant(task, 'title'));
      const stranger: Principal = { ...reviewer, actor: { type: 'api_key', id: 'key_other', name: 'other' } };
      await expect(revokeGrant({ store, clock }, stranger, grant.id, null)).rejects.toMatchObject({
        code: 'forbidden',
      });
      const revoked = await revokeGrant({ store, clock }, admin, grant.id, 'stop');
      expect(revoked).toMatchObject({ revokedAt: now, revokeReason: 'stop', revokedBy: admin.actor });
      await expect(revokeGrant({ store, clock }, reviewer, grant.id, null)).rejects.toMatchObject({ code: 'conflict' });
      expect((await create({ title: 'Revocable', payload: { r: 2 } })).status).toBe('pending_review');
      const listed = await store.read.grants.list(reviewer.workspaceId, now, 100);
      expect(listed.findIndex((g) => g.id === grant.id)).toBeGreaterThan(-1);
    });

    test('a grant revoked between the match and its use: the task goes to review, the grant is not used', async () => {
      const task = await create({ title: 'Racing', payload: { race: 1 } });
      const grant = await grantOf(await approveWithGrant(task, 'payload'));
      await revokeGrant({ store, clock }, reviewer, grant.id, null);
      // The reader still sees it active, as a request that matched it just before the revocation did.
      const stale = staleStore({ grants: { ...store.read.grants, findMatch: async () => grant } });
      const routed = await create({ payload: { race: 1 } }, { ...deps(), store: stale });
      expect(routed.status).toBe('pending_review');
      expect(routed.workflow?.routingRule).not.toBe('grant');
      expect((await store.read.grants.findById(reviewer.workspaceId, grant.id))?.uses).toBe(0);
    });

    test('a halt committed after the check before creation still stops the grant: nothing written, nothing used', async () => {
      const task = await create({ title: 'Halting', agent: { id: 'halt-me' } });
      const grant = await grantOf(await approveWithGrant(task, 'title'));
      await haltTarget({ store, clock }, admin, { scope: 'agent', value: 'halt-me' }, null);
      // The pre-check's reader has not seen the halt; the creating transaction has.
      const stale = staleStore({ halts: { ...store.read.halts, findActive: async () => [] } });
      await expect(
        create({ title: 'Halting', agent: { id: 'halt-me' } }, { ...deps(), store: stale }),
      ).rejects.toMatchObject({
        code: 'halted',
      });
      expect((await store.read.grants.findById(reviewer.workspaceId, grant.id))?.uses).toBe(0);
    });

    test('planGrant refuses more hours than the queue allows, and a task without an agent', async () => {
      const task = await create({ title: 'Plan' });
      const config = queueConfigSchema.parse({ grants: { allowed: true, maxHours: 4 } });
      await expect(planGrant(task, config, { scope: 'title', hours: 5 }, reviewer, true, now)).rejects.toMatchObject({
        code: 'validation_failed',
      });
      const planned = await planGrant(task, config, { scope: 'title', hours: 4 }, reviewer, true, now);
      expect(planned).toMatchObject({ title: 'Plan', payloadDigest: null, expiresAt: now + 4 * HOUR });
      await expect(
        planGrant({ ...task, agent: null }, config, { scope: 'title', hours: 1 }, reviewer, true, now),
      ).rejects.toMatchObject({ code: 'grant_refused' });
    });

    test('a task that asks for answers or names its reviewers is left to people', async () => {
      const responseForm = {
        type: 'object' as const,
        properties: { note: { type: 'string' as const, title: 'Note' } },
      };
      const asking = await create({ title: 'Answer me', responseForm } as Partial<CreateTaskInput>);
      await expect(approveWithGrant(asking, 'title')).rejects.toMatchObject({ code: 'grant_refused' });

      const grant = await grantOf(await approveWithGrant(await create({ title: 'Named' }), 'title'));
      expect((await create({ title: 'Named', responseForm } as Partial<CreateTaskInput>)).status).toBe(
        'pending_review',
      );
      expect((await create({ title: 'Named', reviewers: ['sam@example.com'] })).status).toBe('pending_review');
      expect((await create({ title: 'Named' })).status).toBe('approved');
      expect((await store.read.grants.findById(reviewer.workspaceId, grant.id))?.uses).toBe(1);
    });
  });
}
