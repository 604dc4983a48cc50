import { resolveWorkspace } from '../domain/admin/workspaces.js';
import type { Store } from '../domain/store.js';
import type { DecisionRecord, TaskRecord, TaskWorkflowRecord } from '../domain/tasks/task-record.js';
import { openTestStore, type TestDatabase } from './databases.js';
import { useOpened } from './live.js';
import { taskRecord } from './task-records.js';

export const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
/** When the changes under test happen. */
export const AT = T0 + 60_000;
export const REVIEWER = { type: 'api_key', id: 'key_ops1', name: 'ops1' } as const;

/** A task part-way through a two-level workflow, with a deadline, so every field has something to change from. */
export const OPEN_WORKFLOW: TaskWorkflowRecord = {
  routingRule: 'rules[2]:risk',
  routingReason: 'Risk high needs 2 levels',
  levels: 2,
  level: 1,
  priority: 0,
  escalated: false,
  escalationStep: 1,
  nextSweepAt: T0 + 300_000,
  assignedGroup: 'ops',
  assignee: { type: 'user', id: 'usr_ann', name: 'ann@example.com' },
  claimed: true,
};

/** REVIEWER's approval at AT, with whatever `extra` changes. */
export const decision = (extra: Partial<DecisionRecord> = {}): DecisionRecord => ({
  action: 'approve',
  comment: 'fine by me',
  modifiedPayload: null,
  diff: null,
  reasonCode: null,
  response: null,
  decidedBy: REVIEWER,
  decidedAt: AT,
  ...extra,
});

/**
 * A fresh store of `kind` for tests that write task rows directly: `storedTask()` inserts an open
 * task in OPEN_WORKFLOW and answers it as the repository reads it back; `read()` reads it again.
 */
export function useStoredTasks(kind: TestDatabase) {
  return useOpened(async () => {
    const { store, close } = await openTestStore(kind);
    const workspaceId = (await resolveWorkspace({ store, clock: () => T0 })).id;
    let serial = 0;
    return {
      store: store as Store,
      workspaceId,
      async storedTask(extra: Partial<TaskRecord> = {}): Promise<TaskRecord> {
        const id = `tsk_transition_${kind}_${++serial}`;
        await store.transaction((tx) =>
          tx.tasks.insert(
            taskRecord(workspaceId, id, T0, {
              payload: { amount: 50 },
              dueAt: T0 + 300_000,
              workflow: OPEN_WORKFLOW,
              ...extra,
            }),
          ),
        );
        return (await store.read.tasks.findById(workspaceId, id))!;
      },
      read: async (task: TaskRecord) => (await store.read.tasks.findById(workspaceId, task.id))!,
      close,
    };
  });
}
