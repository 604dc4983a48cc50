import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { claimTask, escalateTask, releaseTask } from '../approvals/claims.js';
import { sweepOnce } from '../approvals/sla-sweeper.js';
import { cancelTask } from '../tasks/cancel-task.js';
import { noteAuditPrincipal, runWithAuditContext } from './audit-context.js';
import type { AuditRecord } from './audit-ports.js';

/**
 * Every task change lands in the ledger, once, in its own transaction: after each path below, the
 * task's audit entries and its events correspond one to one, in order, and the newest entry is the
 * one the change made.
 */
for (const database of DATABASES) {
  describe(`${database}: task changes in the audit log`, () => {
    const w = useApprovalsWorld(database);

    beforeAll(async () => {
      await w.queue('auto', { policy: { rules: [], otherwise: 'auto_approve' } });
      await w.queue('pair', { levels: [{ name: 'ops', group: 'ops', quorum: 2 }] });
      await w.queue('two-levels', {
        levels: [
          { name: 'operations', group: 'ops' },
          { name: 'compliance', group: 'compliance' },
        ],
      });
      await w.queue('reasons', { rejectReasons: [{ code: 'too_high', label: 'Amount too high' }] });
      await w.queue('chain', {
        escalation: [{ action: 'raise_priority', afterSeconds: 0 }],
        timeoutAfterSeconds: 60,
      });
    });

    const entriesOf = async (taskId: string): Promise<AuditRecord[]> => {
      const all: AuditRecord[] = [];
      for (let after = 0; ; ) {
        const page = await w.store.read.audit.list(w.workspaceId, after, 1000);
        if (page.length === 0) return all.filter((e) => e.target.type === 'task' && e.target.id === taskId);
        all.push(...page);
        after = page.at(-1)?.seq ?? after;
      }
    };

    /** Runs `change`, then checks it added exactly `expected` entries and the ledger still mirrors the events. */
    async function expectEntries(taskId: string, expected: string[], change: () => Promise<unknown>) {
      const before = await entriesOf(taskId);
      await change();
      const after = await entriesOf(taskId);
      expect(after.slice(before.length).map((e) => e.action)).toEqual(expected);
      const events = await w.events(taskId);
      expect(after.map((e) => e.action)).toEqual(events.map((e) => `task.${e.type}`));
      return after.slice(before.length);
    }

    test('created (routed for review): one entry with the rule, reason, queue and the digest shown', async () => {
      const { id } = await w.create({ title: 'Refund', payload: { amount: 50 } });
      const [created] = await entriesOf(id);
      if (!created) throw new Error('no entry');
      expect(created).toMatchObject({
        action: 'task.created',
        actor: { type: 'api_key', name: 'reviewer' },
        data: {
          fromStatus: null,
          toStatus: 'pending_review',
          queue: 'default',
          event: { rule: expect.any(String), outcome: 'review' },
          shownDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      });
      expect((await entriesOf(id)).map((e) => e.action)).toEqual(['task.created']);
    });

    test('created and auto-approved by the policy: two entries, the decision by the policy', async () => {
      const task = await w.create({ queue: 'auto' });
      const entries = await entriesOf(task.id);
      expect(entries.map((e) => [e.action, e.actor.type])).toEqual([
        ['task.created', 'api_key'],
        ['task.decided', 'policy'],
      ]);
      expect(entries[1]?.data).toMatchObject({ decision: { action: 'approve', approvedDigest: expect.any(String) } });
      expect(entries[1]?.actor.role).toBeNull();
    });

    test('claimed, released, escalated by hand, cancelled: one entry each', async () => {
      const task = await w.create({});
      await expectEntries(task.id, ['task.claimed'], () => claimTask(w.deps, w.as('ops1'), task.id));
      await expectEntries(task.id, ['task.released'], () => releaseTask(w.deps, w.as('ops1'), task.id));
      await expectEntries(task.id, ['task.escalated'], () => escalateTask(w.deps, w.as('ops1'), task.id, 'urgent'));
      await expectEntries(task.id, ['task.cancelled'], () =>
        cancelTask(w.deps, w.as('reviewer'), task.id, { reason: 'no longer needed' }),
      );
    });

    test('a quorum vote, then the deciding vote: a vote entry, then the decision (the deciding vote is the decision)', async () => {
      const task = await w.create({ queue: 'pair' });
      await expectEntries(task.id, ['task.vote'], () => w.decide(task.id, w.as('ops1')));
      const [decided] = await expectEntries(task.id, ['task.decided'], () => w.decide(task.id, w.as('ops2')));
      expect(decided?.data).toMatchObject({ toStatus: 'approved', decision: { action: 'approve' } });
    });

    test('two levels: the first approval completes a level, the second decides', async () => {
      const task = await w.create({ queue: 'two-levels' });
      await expectEntries(task.id, ['task.level_approved'], () => w.decide(task.id, w.as('ops1')));
      await expectEntries(task.id, ['task.decided'], () => w.decide(task.id, w.as('comp1')));
    });

    test('a rejection keeps its reason code; a modification keeps its diff and the digest it approved', async () => {
      const rejected = await w.create({ queue: 'reasons' });
      const [reject] = await expectEntries(rejected.id, ['task.decided'], () =>
        w.decide(rejected.id, w.as('ops1'), 'reject', { reasonCode: 'too_high', comment: 'over the limit' }),
      );
      expect(reject?.data).toMatchObject({
        decision: { action: 'reject', reasonCode: 'too_high', approvedDigest: null },
      });

      const modified = await w.create({});
      const [modify] = await expectEntries(modified.id, ['task.decided'], () =>
        w.decide(modified.id, w.as('ops1'), 'approve_with_modifications', { modifiedPayload: { amount: 40 } }),
      );
      expect(modify?.data).toMatchObject({
        decision: {
          action: 'approve_with_modifications',
          diff: expect.stringContaining('40'),
          approvedDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      });
    });

    test('the SLA sweeper: an escalation step, then expiry, each one entry by the system', async () => {
      const task = await w.create({ queue: 'chain', slaSeconds: 30 });
      const due = Date.parse(task.dueAt ?? '');
      w.now = due;
      const [step] = await expectEntries(task.id, ['task.escalated'], () => sweepOnce(w.sweeper));
      expect(step?.actor).toEqual({ type: 'system', id: null, name: 'sla-sweeper', role: null });
      w.now = due + 60_000;
      await expectEntries(task.id, ['task.expired'], () => sweepOnce(w.sweeper));
      w.now = Date.now();
    });

    test('within a request: the entry carries the request id and the role the caller held', async () => {
      const task = await w.create({});
      const [claimed] = await expectEntries(task.id, ['task.claimed'], () =>
        runWithAuditContext('req-42', async () => {
          noteAuditPrincipal(w.as('ops1'));
          return claimTask(w.deps, w.as('ops1'), task.id);
        }),
      );
      expect([claimed?.requestId, claimed?.actor.role, claimed?.actor.name]).toEqual(['req-42', 'reviewer', 'ops1']);
    });

    test('a change that fails writes neither its event nor its entry', async () => {
      const task = await w.create({});
      await w.decide(task.id, w.as('ops1'));
      await expectEntries(task.id, [], () => w.decide(task.id, w.as('ops2')).catch(() => undefined));
    });
  });
}
