import { type BoardStage, isFinalStatus, type TaskStatus } from '@loopgate/shared';

/**
 * What decides a card's column, and the column itself: the same facts the board's column queries
 * (board.ts) select on. On its own so analytics can replay a task's stages without the board's
 * queries and what they import.
 */
export interface CardState {
  status: TaskStatus;
  escalated: boolean;
  claimed: boolean;
}

export function stageOf(card: CardState): BoardStage {
  if (isFinalStatus(card.status)) return 'completed';
  if (card.escalated) return 'escalated';
  if (card.claimed) return 'in_progress';
  return card.status === 'in_review' ? 'needs_approval' : 'pending';
}
