import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { decideTask } from '../approvals/vote.js';
import { noteAuditPrincipal, runWithAuditContext } from '../audit/audit-context.js';
import { cancelTask } from './cancel-task.js';
import { type RevokeTaskDeps, revokeTask } from './revoke-task.js';

const HOUR = 3_600_000;

for (const database of DATABASES) {
  describe(`${database}: revoking an approval`, () => {
    const w = useApprovalsWorld(database);
    const deps = (revokeWindowMs?: number): RevokeTaskDeps => ({ ...w.deps, revokeWindowMs });
    const revoke = (id: string, by = w.as('admin'), window?: number, reason = 'wrong customer') =>
      // As a request would: its id and the admin's role reach the audit entry through the request's context.
      runWithAuditContext('req-revoke', () => {
        noteAuditPrincipal(by);
        return revokeTask(deps(window), by, id, { reason });
      });

    beforeAll(async () => {
      await w.queue('auto', { policy: { otherwise: 'auto_approve' } });
    });

    test('an approval within the window becomes revoked: the decision stays, one event and one audit entry say who and why', async () => {
      const task = await w.create({ payload: { amount: 70 } });
      const approved = await w.decide(task.id, w.as('ops1'), 'approve', { comment: 'looks fine' });
      w.now += 23 * HOUR;
      const revoked = await revoke(task.id);
      expect(revoked.status).toBe('revoked');
      const view = await w.get(task.id);
      expect(view.status).toBe('revoked');
      expect(view.decision).toEqual(approved.decision);
      expect(view.closedAt).toBe(approved.closedAt);
      expect((await w.events(task.id)).map((e) => [e.type, e.fromStatus, e.toStatus, e.actor.name, e.reason])).toEqual([
        ['created', null, 'pending_review', 'reviewer', expect.any(String)],
        ['decided', 'pending_review', 'approved', 'ops1', 'looks fine'],
        ['revoked', 'approved', 'revoked', 'admin', 'wrong customer'],
      ]);
      const audit = (await w.store.read.audit.list(w.workspaceId, 0, 10_000)).filter(
        (e) => e.target.id === task.id && e.action === 'task.revoked',
      );
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'task.revoked',
          target: { type: 'task', id: task.id },
          actor: { ...w.as('admin').actor, role: 'admin' },
          requestId: 'req-revoke',
          data: expect.objectContaining({
            fromStatus: 'approved',
            toStatus: 'revoked',
            reason: 'wrong customer',
            event: { action: 'approve', decidedAt: approved.decision?.decidedAt },
          }),
        }),
      ]);
      // Final: nobody can decide, cancel or revoke it again.
      expect((await refusal(w.decide(task.id, w.as('ops2')))).code).toBe('task_already_decided');
      expect((await refusal(cancelTask(w.deps, w.as('reviewer'), task.id, {}))).code).toBe('task_already_decided');
      expect((await refusal(revoke(task.id))).code).toBe('conflict');
    });

    test('approved with modifications and policy auto-approvals can be revoked too', async () => {
      const task = await w.create({ payload: { amount: 80 } });
      await w.decide(task.id, w.as('ops1'), 'approve_with_modifications', { modifiedPayload: { amount: 40 } });
      expect((await revoke(task.id)).status).toBe('revoked');
      expect((await w.get(task.id)).decision?.modifiedPayload).toEqual({ amount: 40 });
      const auto = await w.create({ queue: 'auto' });
      expect(auto.status).toBe('approved');
      expect((await revoke(auto.id)).status).toBe('revoked');
    });

    test('past the window it is refused with revoke_window_closed; a window of 0 turns revoking off; the window is configurable', async () => {
      const task = await w.create();
      const approved = await w.decide(task.id, w.as('ops1'));
      w.now = Date.parse(approved.decision?.decidedAt ?? '') + 24 * HOUR + 1;
      const late = await refusal(revoke(task.id));
      expect([late.status, late.code]).toEqual([409, 'revoke_window_closed']);
      expect(late.message).toBe(
        `Task ${task.id} was approved at ${approved.decision?.decidedAt}; approvals can be revoked for 24 hours after the decision`,
      );
      expect((await refusal(revoke(task.id, w.as('admin'), 0))).message).toMatch(/turned off/);
      expect((await revoke(task.id, w.as('admin'), 48 * HOUR)).status).toBe('revoked');
      expect((await w.get(task.id)).status).toBe('revoked');
    });

    test('only approvals: open, rejected, cancelled tasks are refused; only admins; another workspace gets 404', async () => {
      const open = await w.create();
      const rejected = await w.create();
      await w.decide(rejected.id, w.as('ops1'), 'reject', { comment: 'no' });
      const cancelled = await w.create();
      await cancelTask(w.deps, w.as('reviewer'), cancelled.id, {});
      for (const [task, status] of [
        [open, 'pending_review'],
        [rejected, 'rejected'],
        [cancelled, 'cancelled'],
      ] as const) {
        const refused = await refusal(revoke(task.id));
        expect([refused.code, refused.message]).toEqual([
          'conflict',
          `Task ${task.id} is ${status}; only an approved task can be revoked`,
        ]);
      }
      const approved = await w.create();
      await w.decide(approved.id, w.as('ops1'));
      for (const who of ['reviewer', 'viewer', 'ops2'] as const) {
        expect((await refusal(revoke(approved.id, w.as(who)))).code).toBe('forbidden');
      }
      expect((await refusal(revoke(approved.id, w.as('otherWorkspaceAdmin')))).code).toBe('not_found');
      expect((await w.get(approved.id)).status).toBe('approved');
    });

    test('two admins revoking at once: one wins, one event and one audit entry', async () => {
      const task = await w.create();
      await w.decide(task.id, w.as('ops1'));
      const second = await w.newKey(`admin-${database}-2`, 'admin');
      const outcomes = await Promise.allSettled([revoke(task.id), revoke(task.id, second)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await w.events(task.id)).filter((e) => e.type === 'revoked')).toHaveLength(1);
      const audit = (await w.store.read.audit.list(w.workspaceId, 0, 10_000)).filter(
        (e) => e.target.id === task.id && e.action === 'task.revoked',
      );
      expect(audit).toHaveLength(1);
    });

    test('a vote on a revoked task is refused like any final task', async () => {
      const task = await w.create();
      await w.decide(task.id, w.as('ops1'));
      await revoke(task.id);
      const vote = await refusal(decideTask(w.deps, w.as('ops3'), task.id, { action: 'approve' }));
      expect(vote.code).toBe('task_already_decided');
    });
  });
}
