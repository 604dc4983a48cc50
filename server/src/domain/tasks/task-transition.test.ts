import { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '@loopgate/shared';
import { DATABASES } from '../../test-support/databases.js';
import { AT, decision, OPEN_WORKFLOW, REVIEWER, T0, useStoredTasks } from '../../test-support/stored-tasks.js';
import { taskRecord } from '../../test-support/task-records.js';
import type { TaskTransition } from './task-record.js';
import { applyChange } from './task-transition.js';

/** Each field a TaskTransition can set, alone or together, from the open task above. */
const CHANGES: [name: string, change: TaskTransition][] = [
  ['status and updatedAt only', { status: 'in_review', updatedAt: AT }],
  ['the same status again (a claim, an escalation)', { status: 'pending_review', updatedAt: AT }],
  ['closedAt set', { status: 'in_review', updatedAt: AT, closedAt: AT }],
  ['closedAt cleared', { status: 'in_review', updatedAt: AT, closedAt: null }],
  ['an approval', { status: 'approved', updatedAt: AT, closedAt: AT, decision: decision() }],
  [
    'a rejection without comment',
    { status: 'rejected', updatedAt: AT, closedAt: AT, decision: decision({ action: 'reject', comment: null }) },
  ],
  [
    'an approval with modifications and its diff',
    {
      status: 'approved_with_modifications',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({
        action: 'approve_with_modifications',
        modifiedPayload: { amount: 40, note: 'ünïcödé ✓', list: [null, true] },
        diff: '--- original\n+++ modified\n',
      }),
    },
  ],
  [
    'a modification of null (the agent receives null)',
    {
      status: 'approved_with_modifications',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ action: 'approve_with_modifications', modifiedPayload: null, diff: null }),
    },
  ],
  [
    // The UPDATE stores a modified payload and diff only for approve_with_modifications.
    'a plain approval carrying a stray modified payload and diff',
    {
      status: 'approved',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ modifiedPayload: { amount: 1 }, diff: '--- original\n' }),
    },
  ],
  [
    'a decision by an actor without id (the policy)',
    {
      status: 'approved',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ decidedBy: { type: 'policy', id: null, name: 'timeout' } }),
    },
  ],
  ['routingRule', { status: 'in_review', updatedAt: AT, workflow: { routingRule: 'otherwise' } }],
  ['routingRule cleared', { status: 'in_review', updatedAt: AT, workflow: { routingRule: null } }],
  ['routingReason', { status: 'in_review', updatedAt: AT, workflow: { routingReason: 'changed <reason>' } }],
  ['routingReason cleared', { status: 'in_review', updatedAt: AT, workflow: { routingReason: null } }],
  ['levels', { status: 'in_review', updatedAt: AT, workflow: { levels: 3 } }],
  ['level', { status: 'in_review', updatedAt: AT, workflow: { level: 2 } }],
  ['priority', { status: 'pending_review', updatedAt: AT, workflow: { priority: 4 } }],
  ['escalated', { status: 'pending_review', updatedAt: AT, workflow: { escalated: true } }],
  ['escalationStep', { status: 'pending_review', updatedAt: AT, workflow: { escalationStep: 2 } }],
  ['nextSweepAt moved', { status: 'pending_review', updatedAt: AT, workflow: { nextSweepAt: T0 + 900_000 } }],
  ['nextSweepAt cleared on an open task', { status: 'pending_review', updatedAt: AT, workflow: { nextSweepAt: null } }],
  ['assignedGroup', { status: 'pending_review', updatedAt: AT, workflow: { assignedGroup: 'managers' } }],
  ['assignedGroup cleared', { status: 'pending_review', updatedAt: AT, workflow: { assignedGroup: null } }],
  ['assignee', { status: 'pending_review', updatedAt: AT, workflow: { assignee: REVIEWER } }],
  [
    'assignee without a name',
    { status: 'pending_review', updatedAt: AT, workflow: { assignee: { type: 'api_key', id: 'key_x', name: null } } },
  ],
  [
    'assignee cleared (a release)',
    { status: 'pending_review', updatedAt: AT, workflow: { assignee: null, claimed: false } },
  ],
  ['claimed', { status: 'pending_review', updatedAt: AT, workflow: { claimed: false } }],
  [
    // An optional field spelled out as undefined means "leave it", as the UPDATE reads it.
    'workflow fields given as undefined',
    {
      status: 'pending_review',
      updatedAt: AT,
      closedAt: undefined,
      decision: undefined,
      workflow: { assignee: undefined, claimed: undefined, nextSweepAt: undefined, level: undefined },
    },
  ],
  [
    'every workflow field at once (a reassign to the next level)',
    {
      status: 'in_review',
      updatedAt: AT,
      workflow: {
        routingRule: 'rules[0]:flag',
        routingReason: 'regulatory',
        levels: 3,
        level: 2,
        priority: 1,
        escalated: true,
        escalationStep: 2,
        nextSweepAt: T0 + 600_000,
        assignedGroup: 'compliance',
        assignee: { type: 'api_key', id: 'key_comp1', name: 'comp1' },
        claimed: false,
      },
    },
  ],
  ...FINAL_TASK_STATUSES.map((status): [string, TaskTransition] => [
    `the final status ${status} clears nextSweepAt, even one the change names`,
    { status, updatedAt: AT, closedAt: AT, workflow: { nextSweepAt: T0 + 900_000, escalated: true } },
  ]),
];

for (const database of DATABASES) {
  describe(`${database}: the task transition`, () => {
    const s = useStoredTasks(database);

    describe('applyChange is what the conditional UPDATE leaves in the row', () => {
      test.each(CHANGES)('%s', async (_name, change) => {
        for (const status of OPEN_TASK_STATUSES) {
          const before = await s.storedTask({ status, closedAt: _name === 'closedAt cleared' ? T0 : null });
          const won = await s.store.transaction((tx) =>
            tx.tasks.transition(s.workspaceId, before.id, { status: before.status, version: before.version }, change),
          );
          expect(won).toBe(true);
          expect([status, await s.read(before)]).toEqual([status, applyChange(before, change)]);
        }
      });

      test('a task stored without workflow state changes from the defaults, its deadline as next sweep', async () => {
        const before = await s.storedTask({ workflow: undefined, dueAt: T0 + 120_000 });
        expect(before.workflow).toMatchObject({ level: 1, levels: 1, nextSweepAt: T0 + 120_000, claimed: false });
        const change: TaskTransition = { status: 'in_review', updatedAt: AT, workflow: { level: 2 } };
        await s.store.transaction((tx) =>
          tx.tasks.transition(s.workspaceId, before.id, { status: before.status, version: before.version }, change),
        );
        expect(await s.read(before)).toEqual(applyChange({ ...before, workflow: undefined }, change));
      });

      test('applyChange leaves the task it was given as it was', () => {
        const before = taskRecord('wsp_x', 'tsk_x', T0, { workflow: { ...OPEN_WORKFLOW } });
        const copy = structuredClone(before);
        applyChange(before, { status: 'approved', updatedAt: AT, closedAt: AT, decision: decision() });
        expect(before).toEqual(copy);
      });
    });
  });
}
