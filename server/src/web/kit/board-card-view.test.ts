import { AppError } from '../../domain/kernel/errors.js';
import type { DetailedCard } from '../../domain/reviewers/board-cards.js';
import { cardFieldValue, cardReason } from '../../domain/reviewers/board-cards.js';
import { cardView } from './view-models.js';

const ana = { type: 'user' as const, id: 'usr_ana', name: 'Ana' };

const card = (extra: Partial<DetailedCard> = {}): DetailedCard => ({
  id: 'tsk_1',
  title: 'Refund',
  queue: 'refunds',
  source: 'n8n',
  status: 'pending_review',
  riskLevel: null,
  confidence: null,
  assigneeName: null,
  assigneeId: null,
  claimed: false,
  escalated: false,
  priority: 0,
  level: 1,
  levels: 2,
  dueAt: null,
  createdAt: 1,
  closedAt: null,
  decisionAction: null,
  agent: null,
  createdBy: ana,
  assignee: null,
  assignedGroup: null,
  sensitive: [],
  fields: [],
  actions: { claim: null, release: 'Not claimed', escalate: null, decide: null },
  ...extra,
});

describe('the board card view: offers what can succeed, says why not for the rest', () => {
  test('everything allowed: both moves, Decide, nothing disabled', () => {
    expect(cardView(card(), 'pending')).toMatchObject({
      moves: ['in_progress', 'escalated'],
      releaseTo: null,
      mayDecide: true,
      blocked: [],
      reasons: [],
    });
  });

  test('outside the group: no claim move, Claim and Decide disabled, the reason once', () => {
    const why = 'Level 2 (compliance) is decided by the "compliance" group';
    const view = cardView(
      card({ status: 'in_review', actions: { claim: why, release: 'x', escalate: null, decide: why } }),
      'needs_approval',
    );
    expect(view.moves).toEqual(['escalated']);
    expect(view.mayDecide).toBe(false);
    expect(view.blocked.map((b) => b.label)).toEqual(['Claim', 'Decide']);
    expect(view.reasons).toEqual([why]);
  });

  test("someone else's claim: Release disabled, its longer reason stands for the shorter", () => {
    const claimed = card({
      claimed: true,
      assignee: { type: 'user', id: 'usr_bo', name: 'Bo' },
      actions: {
        claim: 'Claimed by Bo',
        release: 'Claimed by Bo; only they or an admin can release it',
        escalate: null,
        decide: 'Claimed by Bo',
      },
    });
    const view = cardView(claimed, 'in_progress');
    expect(view.moves).toEqual(['escalated']);
    expect(view.releaseTo).toBeNull();
    expect(view.blocked.map((b) => b.action)).toEqual(['release', 'decide']);
    expect(view.reasons).toEqual(['Claimed by Bo; only they or an admin can release it']);
  });

  test('own claim: Release back to the column its votes put it in', () => {
    const mine = card({
      claimed: true,
      status: 'in_review',
      assignee: ana,
      actions: { claim: null, release: null, escalate: null, decide: null },
    });
    expect(cardView(mine, 'in_progress')).toMatchObject({
      moves: ['needs_approval', 'escalated'],
      releaseTo: 'needs_approval',
    });
  });

  test('completed: nothing offered, nothing explained', () => {
    const done = card({ status: 'approved', actions: { claim: 'x', release: 'x', escalate: 'x', decide: 'x' } });
    expect(cardView(done, 'completed')).toMatchObject({ moves: [], mayDecide: false, blocked: [], reasons: [] });
  });

  test('reasons lose the task id the card already is; values are cut and compact', () => {
    expect(cardReason(new AppError('task_claimed', 'Task tsk_1 is claimed by Bo'), { id: 'tsk_1' })).toBe(
      'Claimed by Bo',
    );
    expect(
      cardReason(new AppError('already_voted', 'You have already voted on task tsk_1; one person, one vote'), {
        id: 'tsk_1',
      }),
    ).toBe('You have already voted on this task; one person, one vote');
    expect(cardFieldValue('"Dana"')).toBe('Dana');
    expect(cardFieldValue('{"a": [1, 2]}')).toBe('{"a":[1,2]}');
    expect(cardFieldValue(JSON.stringify('y'.repeat(100)))).toBe(`${'y'.repeat(59)}…`);
  });
});
