import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { createApiKey } from '../admin/api-keys.js';
import type { Principal } from '../kernel/access.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import { type CreateTaskDeps, createTask } from '../tasks/create-task.js';
import { recordTaskEvent } from '../tasks/task-transition.js';
import { createDeliveryHook } from './delivery-hook.js';
import { createSubscription } from './subscriptions.js';

/**
 * The outbox is filled inside the change's transaction: which events reach a task's callback and which
 * reach subscriptions, for every event type the other services write (escalated, expired come from the
 * SLA sweeper), and nothing survives a rolled-back change.
 */
for (const database of DATABASES) {
  describe(`${database}: delivery hook`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let deps: CreateTaskDeps;
    let principal: Principal;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      const clock = Date.now;
      deps = { store, clock, bus: new InProcessTaskEventBus(), onTaskChange: createDeliveryHook({ clock }) };
      const { id, workspace } = await createApiKey({ store, clock }, { name: 'hook', role: 'admin' });
      principal = { workspaceId: workspace.id, role: 'admin', actor: { type: 'api_key', id, name: 'hook' } };
      await createSubscription({ store, clock, checkUrl: async () => undefined }, principal, {
        url: 'https://hooks.example/escalations',
        events: ['task.escalated'],
      });
    });
    afterAll(async () => close());

    async function open(extra: { notifyEscalations?: boolean } = {}) {
      const result = await createTask(deps, principal, {
        title: 'Wire transfer',
        payload: { amount: 9000 },
        callbackUrl: 'https://n8n.example/webhook-waiting/1',
        ...extra,
      });
      if (result.kind !== 'created') throw new Error('expected a new task');
      return result.task;
    }

    async function rows(taskId: string) {
      const list = await store.read.deliveries.list(principal.workspaceId, { taskId }, 50);
      return list.map((d) => `${d.kind}:${d.eventType}`).sort();
    }

    async function emit(task: Awaited<ReturnType<typeof open>>, type: string, fail = false) {
      const now = Date.now();
      await store
        .transaction(async (tx) => {
          await recordTaskEvent(deps, tx, task, {
            id: newId('event', now),
            workspaceId: task.workspaceId,
            taskId: task.id,
            type,
            fromStatus: task.status,
            toStatus: type === 'expired' ? 'expired' : task.status,
            actor: { type: 'system', id: null, name: 'sla-sweeper' },
            reason: 'SLA breached',
            data: type === 'escalated' ? { step: 1 } : null,
            createdAt: now,
          });
          if (fail) throw new Error('roll back');
        })
        .catch((error: Error) => {
          if (!fail) throw error;
        });
    }

    test.each([
      ['escalated, task did not ask', {}, 'escalated', ['subscription:task.escalated']],
      [
        'escalated, task asked (notifyEscalations)',
        { notifyEscalations: true },
        'escalated',
        ['callback:task.escalated', 'subscription:task.escalated'],
      ],
      ['expired', {}, 'expired', ['callback:task.expired']],
      ['an unknown event type', {}, 'reminder_sent', []],
    ])('%s', async (_name, extra, type, expected) => {
      const task = await open(extra);
      expect(await rows(task.id)).toEqual([]); // created: no callback, no subscription for it
      await emit(task, type);
      expect(await rows(task.id)).toEqual(expected);
    });

    test('a rolled-back change leaves no delivery behind', async () => {
      const task = await open({ notifyEscalations: true });
      await emit(task, 'escalated', true);
      expect(await rows(task.id)).toEqual([]);
    });

    test('the payload carries the event step and reason', async () => {
      const task = await open({ notifyEscalations: true });
      await emit(task, 'escalated');
      const [row] = await store.read.deliveries.list(principal.workspaceId, { taskId: task.id }, 1);
      expect(JSON.parse(row?.body ?? '{}')).toMatchObject({
        type: 'task.escalated',
        data: { taskId: task.id, event: { type: 'escalated', reason: 'SLA breached', data: { step: 1 } } },
      });
    });
  });
}
