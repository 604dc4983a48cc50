import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';
import { type ActingPrincipal, type ActionTask, taskActions } from './task-actions.js';

const ana = { type: 'user' as const, id: 'usr_ana', name: 'Ana' };
const bo = { type: 'user' as const, id: 'usr_bo', name: 'Bo' };
const bot = { type: 'api_key' as const, id: 'key_bot', name: 'bot' };

const config = (input: QueueConfigInput = {}) => queueConfigSchema.parse(input);
const twoLevels = config({
  levels: [
    { name: 'ops', group: 'ops' },
    { name: 'compliance', group: 'compliance' },
  ],
  creatorMayApprove: false,
});

const task = (extra: Partial<ActionTask> = {}): ActionTask => ({
  id: 'tsk_1',
  status: 'pending_review',
  createdBy: bot,
  level: 1,
  assignedGroup: null,
  claimed: false,
  assignee: null,
  escalated: false,
  ...extra,
});

function as(
  role: Principal['role'],
  who = ana,
  groups: string[] = ['ops', 'compliance'],
  voted: string[] = [],
): ActingPrincipal {
  return {
    principal: { workspaceId: 'wsp_1', role, actor: who },
    memberOf: (group) => groups.includes(group),
    voted: (id) => voted.includes(id),
  };
}

const reasons = (actions: ReturnType<typeof taskActions>) =>
  Object.fromEntries(Object.entries(actions).map(([action, error]) => [action, error?.message ?? null]));

describe('taskActions: what a person can do to a task, and why not', () => {
  test('an open task, a member of its level: claim, escalate and decide; nothing to release', () => {
    expect(reasons(taskActions(as('reviewer'), task(), twoLevels))).toEqual({
      claim: null,
      escalate: null,
      decide: null,
      release: 'Task tsk_1 is not claimed',
    });
  });

  test("outside the level's group: no claim, no decision, but escalate", () => {
    const actions = taskActions(as('reviewer', ana, ['ops']), task({ level: 2 }), twoLevels);
    expect(actions.claim?.code).toBe('forbidden');
    expect(actions.claim?.message).toBe('Level 2 (compliance) is decided by the "compliance" group');
    expect(actions.decide?.message).toBe('Level 2 (compliance) is decided by the "compliance" group');
    expect(actions.escalate).toBeNull();
  });

  test('a reassignment opens the level to the new group too', () => {
    const actions = taskActions(
      as('reviewer', ana, ['managers']),
      task({ level: 2, assignedGroup: 'managers' }),
      twoLevels,
    );
    expect(actions.claim).toBeNull();
  });

  test("viewers: nothing, in their role's words", () => {
    const actions = taskActions(as('viewer'), task(), twoLevels);
    expect(reasons(actions)).toEqual({
      claim: "Viewers can't claim tasks",
      release: "Viewers can't release tasks",
      escalate: "Viewers can't escalate tasks",
      decide: "Viewers can't decide tasks",
    });
    expect(actions.claim?.code).toBe('forbidden');
  });

  test('claimed by someone else: no claim, no release (unless admin), no decision at quorum 1', () => {
    const claimed = task({ claimed: true, assignee: bo });
    const reviewer = taskActions(as('reviewer'), claimed, twoLevels);
    expect(reviewer.claim?.code).toBe('task_claimed');
    expect(reviewer.claim?.message).toBe('Task tsk_1 is claimed by Bo');
    expect(reviewer.release?.message).toBe('Task tsk_1 is claimed by Bo; only they or an admin can release it');
    expect(reviewer.decide?.code).toBe('task_claimed');
    const admin = taskActions(as('admin'), claimed, twoLevels);
    expect(admin.release).toBeNull();
    // A level with a quorum above one is decided by several: a claim does not keep the others out.
    const quorum = config({ levels: [{ name: 'panel', group: null, quorum: 2 }] });
    expect(taskActions(as('reviewer'), claimed, quorum).decide).toBeNull();
  });

  test('own claim: release it, decide it; claiming again changes nothing and is allowed', () => {
    const mine = task({ claimed: true, assignee: ana });
    expect(reasons(taskActions(as('reviewer'), mine, twoLevels))).toMatchObject({
      claim: null,
      release: null,
      decide: null,
    });
  });

  test('already voted (an earlier level counts): no claim, no decision', () => {
    const actions = taskActions(as('reviewer', ana, ['ops', 'compliance'], ['tsk_1']), task({ level: 2 }), twoLevels);
    expect(actions.claim?.code).toBe('already_voted');
    expect(actions.decide?.code).toBe('already_voted');
    expect(actions.escalate).toBeNull();
  });

  test('separation of duties: the creator may still claim and reject, so both stay offered', () => {
    const own = task({ createdBy: ana });
    const actions = taskActions(as('reviewer'), own, twoLevels);
    expect(actions.claim).toBeNull();
    expect(actions.decide).toBeNull();
  });

  test('escalated already, or closed', () => {
    expect(taskActions(as('reviewer'), task({ escalated: true }), twoLevels).escalate?.message).toBe(
      'Task tsk_1 is already escalated',
    );
    const closed = taskActions(as('reviewer'), task({ status: 'approved' }), twoLevels);
    for (const error of Object.values(closed)) expect(error?.code).toBe('task_already_decided');
  });
});
