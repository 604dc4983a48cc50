import type { BoardStage, TaskStatus } from '@loopgate/shared';
import { type CardState, stageOf } from '../reviewers/board-stage.js';
import type { JsonValue } from '../tasks/task-record.js';

/** The board stages a task waits in; Completed is where it ends, so no time is spent "in" it here. */
export const OPEN_STAGES = [
  'pending',
  'in_progress',
  'needs_approval',
  'escalated',
] as const satisfies readonly Exclude<BoardStage, 'completed'>[];
export type OpenStage = (typeof OPEN_STAGES)[number];

/** The task events that move a card between columns (board.ts), as the analytics job reads them. */
export const STAGE_EVENT_TYPES = ['created', 'claimed', 'released', 'vote', 'level_approved', 'escalated'] as const;

export interface StageEvent {
  type: string;
  toStatus: TaskStatus | null;
  data: JsonValue | null;
  createdAt: number;
}

/** The card a task shows as after `event`: the same facts the board's column queries select on. */
function afterEvent(card: CardState, event: StageEvent): CardState {
  const next = { ...card, status: event.toStatus ?? card.status };
  switch (event.type) {
    case 'claimed':
      return { ...next, claimed: true };
    case 'released':
    case 'level_approved':
      // A released task, or one handed to its next level's group, is offered to the group again.
      return { ...next, claimed: false };
    case 'escalated': {
      const step =
        event.data !== null && typeof event.data === 'object' && !Array.isArray(event.data) ? event.data.step : null;
      // A reminder nudges without moving the card; a reassignment also drops the claim (sla-sweeper.ts).
      if (step === 'reminder') return next;
      return { ...next, escalated: true, claimed: step === 'reassign' ? false : next.claimed };
    }
    default:
      return next;
  }
}

/**
 * How long a closed task spent in each board stage it passed through, replayed from its events in
 * order: time in a stage runs from the event that moved it there to the next move, and the last open
 * stage ends when the task closed. Stages it never entered are absent; one entered twice (claimed,
 * released, claimed again) adds up.
 */
export function timeInStages(
  task: { createdAt: number; closedAt: number },
  events: readonly StageEvent[],
): Partial<Record<OpenStage, number>> {
  const spent: Partial<Record<OpenStage, number>> = {};
  const ordered = [...events].sort((a, b) => a.createdAt - b.createdAt);
  const created = ordered.find((event) => event.type === 'created');
  let card: CardState = { status: created?.toStatus ?? 'pending_review', escalated: false, claimed: false };
  let since = task.createdAt;
  const close = (until: number) => {
    const stage = stageOf(card);
    if (stage === 'completed') return;
    spent[stage] = (spent[stage] ?? 0) + Math.max(0, until - since);
  };
  for (const event of ordered) {
    if (event === created) continue;
    const next = afterEvent(card, event);
    if (stageOf(next) === stageOf(card)) {
      card = next;
      continue;
    }
    close(Math.min(event.createdAt, task.closedAt));
    card = next;
    since = Math.max(since, Math.min(event.createdAt, task.closedAt));
  }
  close(task.closedAt);
  return spent;
}
