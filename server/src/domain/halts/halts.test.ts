import { createHaltInputSchema, type HaltScope } from '@loopgate/shared';
import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { sweepOnce } from '../approvals/sla-sweeper.js';
import { cancelTask } from '../tasks/cancel-task.js';
import { haltTarget, listHalts, resumeHalt } from './halts.js';

for (const database of DATABASES) {
  describe(`${database}: halts (the stop button)`, () => {
    const w = useApprovalsWorld(database);
    const deps = () => ({ store: w.store, clock: w.clock });

    beforeAll(async () => {
      await w.queue('payments', {});
      await w.queue('auto', { policy: { otherwise: 'auto_approve' } });
      await w.queue('approve-on-timeout', { timeoutAction: 'approve' });
    });

    async function halt(scope: HaltScope, value?: string, reason?: string) {
      const input = createHaltInputSchema.parse({ scope, value, reason });
      return haltTarget(deps(), w.as('admin'), input, 'req-halt');
    }

    const auditTrail = async () =>
      (await w.store.read.audit.list(w.workspaceId, 0, 10_000)).filter((e) => e.target.type === 'halt');

    test.each([
      ['queue', 'payments', { queue: 'payments' }, { queue: 'auto' }],
      ['source', 'n8n', { source: 'n8n' }, { source: 'zapier' }],
      ['agent', 'refund-bot', { agent: { id: 'refund-bot' } }, { agent: { id: 'other-bot' } }],
    ] as const)(
      '%s halt refuses matching new tasks with 423 halted naming it, and only those',
      async (scope, value, matching, other) => {
        w.now = Date.parse('2026-03-01T10:00:00Z');
        const { halt: record, created } = await halt(scope, value, 'incident 42');
        expect(created).toBe(true);
        const refused = await refusal(w.create(matching));
        expect([refused.status, refused.code]).toEqual([423, 'halted']);
        expect(refused.message).toBe(
          `New tasks from ${scope} "${value}" are halted by admin (api_key) since 2026-03-01T10:00:00.000Z: incident 42. Open tasks can still be decided or cancelled.`,
        );
        expect((await w.create(other)).status).toMatch(/^(pending_review|approved)$/);
        await resumeHalt(deps(), w.as('admin'), record.id, null);
        expect((await w.create(matching)).id).toMatch(/^tsk_/);
      },
    );

    test('a workspace halt refuses every new task; open tasks can still be decided and cancelled; resume lets tasks in again', async () => {
      const open1 = await w.create({ queue: 'payments' });
      const open2 = await w.create();
      const { halt: record } = await halt('workspace');
      for (const body of [{}, { queue: 'payments' }, { source: 'zapier', agent: { id: 'x' } }]) {
        const refused = await refusal(w.create(body));
        expect([refused.status, refused.code]).toEqual([423, 'halted']);
        expect(refused.message).toMatch(/^New tasks from this workspace are halted by admin \(api_key\) since /);
      }
      expect((await w.decide(open1.id, w.as('ops1'))).status).toBe('approved');
      expect((await cancelTask(w.deps, w.as('reviewer'), open2.id, {})).status).toBe('cancelled');
      const resumed = await resumeHalt(deps(), w.as('admin'), record.id, 'req-resume');
      expect(resumed.resumedBy).toEqual(w.as('admin').actor);
      expect((await w.create()).status).toBe('pending_review');
    });

    test('nothing is auto-approved while halted: the policy queue refuses, and a timeout approval is withheld for people', async () => {
      const { halt: queueHalt } = await halt('queue', 'auto');
      expect((await refusal(w.create({ queue: 'auto' }))).code).toBe('halted');
      await resumeHalt(deps(), w.as('admin'), queueHalt.id, null);
      expect((await w.create({ queue: 'auto' })).status).toBe('approved');

      const start = w.now;
      const waiting = await w.create({ queue: 'approve-on-timeout', source: 'n8n', slaSeconds: 60 });
      const unhalted = await w.create({ queue: 'approve-on-timeout', slaSeconds: 60 });
      const { halt: sourceHalt } = await halt('source', 'n8n', 'bad workflow');
      w.now = start + 61_000;
      await sweepOnce(w.sweeper);
      // The halted source's task stays open for people, escalated and with no further deadline step …
      const kept = await w.get(waiting.id);
      expect(kept.status).toBe('pending_review');
      const events = await w.events(waiting.id);
      expect(events.at(-1)).toMatchObject({
        type: 'escalated',
        actor: { name: 'sla-sweeper' },
        data: { step: 'timeout', withheld: 'halted', haltId: sourceHalt.id },
      });
      expect(events.at(-1)?.reason).toMatch(
        /^Timeout auto-approval withheld, left for people to decide: New tasks from source "n8n"/,
      );
      // … while the other one is approved by its queue's timeout action as before.
      expect((await w.get(unhalted.id)).status).toBe('approved');
      w.now += 3_600_000;
      await sweepOnce(w.sweeper);
      expect(await w.events(waiting.id)).toHaveLength(events.length);
      await resumeHalt(deps(), w.as('admin'), sourceHalt.id, null);
      expect((await w.decide(waiting.id, w.as('reviewer'), 'reject', { comment: 'not now' })).status).toBe('rejected');
    });

    test('halting a halted target answers the active halt, unaudited; resuming twice is a conflict; both are audited once', async () => {
      const before = (await auditTrail()).length;
      const first = await halt('agent', 'twice-bot', 'first');
      const second = await halt('agent', 'twice-bot', 'second');
      expect(second).toEqual({ halt: first.halt, created: false });
      await resumeHalt(deps(), w.as('admin'), first.halt.id, 'req-resume');
      const again = await refusal(resumeHalt(deps(), w.as('admin'), first.halt.id, null));
      expect([again.status, again.code]).toEqual([409, 'conflict']);
      const entries = (await auditTrail()).slice(before);
      expect(entries.map((e) => [e.action, e.target.id, e.actor.role, e.requestId, e.data])).toEqual([
        ['halt.created', first.halt.id, 'admin', 'req-halt', { scope: 'agent', value: 'twice-bot', reason: 'first' }],
        [
          'halt.resumed',
          first.halt.id,
          'admin',
          'req-resume',
          { scope: 'agent', value: 'twice-bot', haltedSince: new Date(first.halt.createdAt).toISOString() },
        ],
      ]);
      // A new halt of the same target after the resume is a new row.
      const third = await halt('agent', 'twice-bot');
      expect(third.created).toBe(true);
      expect(third.halt.id).not.toBe(first.halt.id);
      await resumeHalt(deps(), w.as('admin'), third.halt.id, null);
    });

    test('two admins stopping the same target at once: one halt, one audit entry, both told of it', async () => {
      const before = (await auditTrail()).length;
      const results = await Promise.all(Array.from({ length: 6 }, () => halt('queue', 'raced')));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.halt.id)).size).toBe(1);
      expect((await auditTrail()).length).toBe(before + 1);
      await resumeHalt(deps(), w.as('admin'), results[0]?.halt.id ?? '', null);
    });

    test('the list shows active halts first, then resumed ones; only admins halt, list and resume; other workspaces see nothing', async () => {
      const { halt: active } = await halt('queue', 'listed');
      const listed = await listHalts(deps(), w.as('admin'));
      expect(listed[0]?.id).toBe(active.id);
      expect(listed.slice(1).every((h) => h.resumedAt !== null)).toBe(true);
      expect((await refusal(haltTarget(deps(), w.as('reviewer'), { scope: 'workspace' }, null))).code).toBe(
        'forbidden',
      );
      expect((await refusal(resumeHalt(deps(), w.as('viewer'), active.id, null))).code).toBe('forbidden');
      expect((await refusal(listHalts(deps(), w.as('reviewer')))).code).toBe('forbidden');
      expect((await refusal(resumeHalt(deps(), w.as('otherWorkspaceAdmin'), active.id, null))).code).toBe('not_found');
      expect(await listHalts(deps(), w.as('otherWorkspaceAdmin'))).toEqual([]);
      await resumeHalt(deps(), w.as('admin'), active.id, null);
    });
  });
}
