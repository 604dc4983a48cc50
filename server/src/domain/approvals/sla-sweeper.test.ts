import type { Task } from '@loopgate/shared';
import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import type { Store } from '../store.js';
import { sweepOnce } from './sla-sweeper.js';
import { decideTask } from './vote.js';

for (const database of DATABASES) {
  describe(`${database}: SLA sweeper and escalation`, () => {
    const w = useApprovalsWorld(database);

    beforeAll(async () => {
      await w.queue('escalating', {
        levels: [{ name: 'night', group: 'night' }],
        escalation: [
          { action: 'reminder', afterSeconds: -30 },
          { action: 'reassign', afterSeconds: 0, group: 'managers' },
          { action: 'raise_priority', afterSeconds: 60 },
        ],
        timeoutAfterSeconds: 120,
      });
      await w.queue('approve-on-timeout', { timeoutAction: 'approve' });
    });

    async function sweepAt(at: number) {
      w.now = at;
      return sweepOnce(w.sweeper);
    }

    test('default queue: an undecided task expires within one sweep of its deadline, exactly once', async () => {
      const task = await w.create({ slaSeconds: 60 });
      await sweepAt(Date.parse(task.dueAt!) - 1);
      expect((await w.get(task.id)).status).toBe('pending_review');
      const first = await sweepAt(Date.parse(task.dueAt!));
      expect(first.applied).toBeGreaterThanOrEqual(1);
      expect((await w.get(task.id)).status).toBe('expired');
      const evs = await w.events(task.id);
      expect(evs.map((e) => [e.type, e.toStatus, e.actor.name])).toEqual([
        ['created', 'pending_review', 'reviewer'],
        ['expired', 'expired', 'sla-sweeper'],
      ]);
      await sweepAt(w.now + 10_000);
      expect(await w.events(task.id)).toHaveLength(2);
      const late = await refusal(w.decide(task.id, w.as('reviewer')));
      expect([late.status, late.code]).toEqual([409, 'task_already_decided']);
    });

    test('the chain runs one step at a time: reminder → reassign → raise priority → expired', async () => {
      w.mail.length = 0;
      const start = w.now;
      const task = await w.create({ queue: 'escalating', slaSeconds: 300 });
      const due = start + 300_000;
      type Step = { at: number; event: string; step?: string; workflow?: object; status: string; mailTo?: string[] };
      const steps: Step[] = [
        { at: due - 31_000, event: 'created', status: 'pending_review' },
        {
          at: due - 30_000,
          event: 'escalated',
          step: 'reminder',
          status: 'pending_review',
          workflow: { escalationStep: 1, assignedGroup: 'night', escalated: false },
          mailTo: ['ops@example.com', 'boss@example.com'],
        },
        {
          at: due,
          event: 'escalated',
          step: 'reassign',
          status: 'pending_review',
          workflow: { escalationStep: 2, assignedGroup: 'managers', escalated: true, priority: 0 },
          mailTo: ['boss@example.com'],
        },
        {
          at: due + 60_000,
          event: 'escalated',
          step: 'raise_priority',
          status: 'pending_review',
          workflow: { escalationStep: 3, priority: 1, escalated: true },
          mailTo: ['boss@example.com'],
        },
        { at: due + 120_000, event: 'expired', status: 'expired' },
      ];
      for (const step of steps) {
        const before = w.mail.length;
        await sweepAt(step.at);
        // A second sweep at the same instant finds nothing more for this task.
        await sweepAt(step.at);
        const got = await w.get(task.id);
        expect([step.event, got.status]).toEqual([step.event, step.status]);
        if (step.workflow) expect(got.workflow).toMatchObject(step.workflow);
        const last = (await w.events(task.id)).at(-1)!;
        expect([last.type, last.data?.step]).toEqual([step.event, step.step]);
        expect(w.mail.slice(before).map((m) => m.to.sort())).toEqual(step.mailTo ? [step.mailTo.sort()] : []);
      }
      expect((await w.events(task.id)).map((e) => e.type)).toEqual([
        'created',
        'escalated',
        'escalated',
        'escalated',
        'expired',
      ]);
      expect(w.mail[0]?.text).toContain(`http://loopgate.test/tasks/${task.id}`);
    });

    test('a changed escalation chain applies to open tasks from their next step; their deadline stays', async () => {
      await w.queue('retimed', {
        escalation: [{ action: 'reminder', afterSeconds: 600 }],
        timeoutAfterSeconds: 1200,
      });
      const task = await w.create({ queue: 'retimed', slaSeconds: 60 });
      const due = Date.parse(task.dueAt!);
      await sweepAt(due + 599_000);
      expect((await w.events(task.id)).map((e) => e.type)).toEqual(['created']);

      const changed = await w.updateQueue('retimed', {
        escalation: [{ action: 'reminder', afterSeconds: 0 }],
        timeoutAfterSeconds: 30,
      });
      expect(changed.config).toMatchObject({ timeoutAfterSeconds: 30 });
      expect((await w.get(task.id)).dueAt).toBe(task.dueAt);
      // Under the old chain nothing was due before due + 600 s; under the new one the reminder is due now.
      await sweepAt(due);
      expect((await w.events(task.id)).map((e) => e.type)).toEqual(['created', 'escalated']);
      await sweepAt(due + 29_000);
      expect((await w.get(task.id)).status).toBe('pending_review');
      await sweepAt(due + 30_000);
      expect((await w.get(task.id)).status).toBe('expired');
      expect((await w.events(task.id)).map((e) => e.type)).toEqual(['created', 'escalated', 'expired']);
    });

    test('after a reassign, the new group may decide', async () => {
      const task = await w.create({ queue: 'escalating', slaSeconds: 300 });
      await sweepAt(Date.parse(task.dueAt!) - 30_000);
      expect((await refusal(w.decide(task.id, w.as('mgr1')))).status).toBe(403);
      await sweepAt(Date.parse(task.dueAt!));
      expect((await w.decide(task.id, w.as('mgr1'))).status).toBe('approved');
    });

    test('timeout action approve (set explicitly) approves as the policy actor', async () => {
      const task = await w.create({ queue: 'approve-on-timeout', slaSeconds: 10 });
      await sweepAt(Date.parse(task.dueAt!));
      const got = await w.get(task.id);
      expect(got).toMatchObject({
        status: 'approved',
        decision: { action: 'approve', decidedBy: { type: 'policy', name: 'timeout' } },
      });
      expect((await w.events(task.id)).map((e) => [e.type, e.actor.type])).toEqual([
        ['created', 'api_key'],
        ['decided', 'policy'],
      ]);
    });

    /**
     * A store whose first read of `taskId` holds its caller until `release()`: both parties then
     * hold the same version of the task, and the order in which they are let go decides the race.
     */
    function gatedStore(taskId: string) {
      const { store } = w;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let read = false;
      let reached!: () => void;
      const holding = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const tasks = Object.create(store.read.tasks) as Store['read']['tasks'];
      tasks.findById = async (workspaceId, id) => {
        const task = await store.read.tasks.findById(workspaceId, id);
        if (id === taskId && !read) {
          read = true;
          reached();
          await gate;
        }
        return task;
      };
      const readRepos = Object.assign(Object.create(store.read), { tasks }) as Store['read'];
      const gated = Object.create(store, { read: { value: readRepos } }) as Store;
      return { store: gated, release, holding };
    }

    test.each(['decision', 'sweeper'] as const)(
      'at the deadline, both read the open task; the %s commits first: one final state, the other is refused',
      async (first) => {
        const task = await w.create({ slaSeconds: 30 });
        const reviewer = w.as('ops1');
        w.now = Date.parse(task.dueAt!);
        const voterStore = gatedStore(task.id);
        const sweeperStore = gatedStore(task.id);
        const vote = decideTask({ store: voterStore.store, bus: w.bus, clock: w.clock }, reviewer, task.id, {
          action: 'approve',
        }).then(
          (value) => ({ ok: true as const, value }),
          (error: { code?: string }) => ({ ok: false as const, code: error.code }),
        );
        const sweep = sweepOnce({ ...w.sweeper, store: sweeperStore.store });
        await Promise.all([voterStore.holding, sweeperStore.holding]);
        if (first === 'decision') {
          voterStore.release();
          expect(await vote).toMatchObject({ ok: true, value: { status: 'approved' } });
          sweeperStore.release();
          await sweep;
        } else {
          sweeperStore.release();
          await sweep;
          voterStore.release();
          // The vote's compare-and-set fails, it re-reads, finds the task closed and says so.
          expect(await vote).toEqual({ ok: false, code: 'task_already_decided' });
        }
        const got = await w.get(task.id);
        expect(got.status).toBe(first === 'decision' ? 'approved' : 'expired');
        const closing = (await w.events(task.id)).filter((e) => e.type === 'decided' || e.type === 'expired');
        expect(closing.map((e) => e.type)).toEqual([first === 'decision' ? 'decided' : 'expired']);
        // The losing vote's row went with its rolled-back transaction.
        expect(await w.votes(task.id)).toHaveLength(first === 'decision' ? 1 : 0);
        expect(got.version).toBe(2);
      },
    );

    test('a decision and the sweeper racing at the deadline end in exactly one final state', async () => {
      const tasks: Task[] = [];
      for (let i = 0; i < 20; i++) tasks.push(await w.create({ slaSeconds: 30 }));
      const reviewer = w.as('ops1');
      w.now = Date.parse(tasks.at(-1)!.dueAt!);
      const results = await Promise.allSettled([
        sweepOnce(w.sweeper),
        ...tasks.map((task) => decideTask(w.deps, reviewer, task.id, { action: 'approve' })),
      ]);
      const finals = { approved: 0, expired: 0 };
      for (const [index, task] of tasks.entries()) {
        const got = await w.get(task.id);
        const evs = await w.events(task.id);
        const closing = evs.filter((e) => e.type === 'decided' || e.type === 'expired');
        expect(closing).toHaveLength(1);
        const votes = await w.votes(task.id);
        if (got.status === 'approved') {
          finals.approved++;
          expect(closing[0]!.type).toBe('decided');
          expect(votes).toHaveLength(1);
          expect(results[index + 1]!.status).toBe('fulfilled');
        } else {
          finals.expired++;
          expect(got.status).toBe('expired');
          expect(votes).toHaveLength(0);
          const result = results[index + 1]!;
          expect(result.status).toBe('rejected');
          expect((result as PromiseRejectedResult).reason.code).toBe('task_already_decided');
        }
      }
      expect(finals.approved + finals.expired).toBe(20);
    });
  });
}
