import { isFinalStatus, parsePointer, type QueueConfig } from '@loopgate/shared';
import { FAIL_CLOSED_CONFIG } from '../approvals/queue-config.js';
import { type ActingPrincipal, type TaskAction, taskActions } from '../approvals/task-actions.js';
import type { Principal } from '../kernel/access.js';
import type { AppError } from '../kernel/errors.js';
import type { Store } from '../store.js';
import type { BoardCard } from './reviewer-ports.js';

/** One of a queue's card fields as a card shows it. */
export interface CardField {
  /** The pointer's names joined by "." (`/customer/name` → `customer.name`). */
  label: string;
  /** The value as text: strings as they are, anything else as compact JSON, cut at CARD_FIELD_MAX. */
  value: string;
}

/** Past this a card field's value is cut (with "…"): a card is a glance, the task page has it all. */
export const CARD_FIELD_MAX = 60;

/** A card with its queue's card fields and, per action, null when it can succeed or why not. */
export interface DetailedCard extends BoardCard {
  fields: CardField[];
  actions: Record<TaskAction, string | null>;
}

export function cardFieldLabel(pointer: string): string {
  return (parsePointer(pointer) ?? [pointer]).join('.');
}

/** A value extracted as JSON text, as a card shows it. */
export function cardFieldValue(json: string): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = json;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > CARD_FIELD_MAX ? `${text.slice(0, CARD_FIELD_MAX - 1)}…` : text;
}

/**
 * A refusal as a card's short note: the use case's words, less the task id the card already is.
 * "Task tsk_… is claimed by Ana" → "Claimed by Ana".
 */
export function cardReason(error: AppError, card: Pick<BoardCard, 'id'>): string {
  const prefix = `Task ${card.id} is `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  const short = text.replace(` on task ${card.id}`, ' on this task');
  return short.charAt(0).toUpperCase() + short.slice(1);
}

/**
 * What the board's cards need beyond their columns: the card fields their queues name (values read
 * by the database for the shown cards only) and what the signed-in person can do to each. Every
 * lookup is one per board, whatever the number of cards: the queues, the groups, this person's votes
 * on the shown open tasks, and one payload read per queue that names card fields.
 */
export async function detailCards(
  deps: { store: Store },
  principal: Principal,
  cards: readonly BoardCard[],
): Promise<Map<string, DetailedCard>> {
  const read = deps.store.read;
  const openIds = cards.filter((card) => !isFinalStatus(card.status)).map((card) => card.id);
  const [queues, groups, voted] = await Promise.all([
    read.queues.list(principal.workspaceId),
    read.reviewerGroups.list(principal.workspaceId),
    openIds.length > 0 ? read.votes.votedOn(principal.workspaceId, principal.actor, openIds) : new Set<string>(),
  ]);
  const configs = new Map<string, QueueConfig>(queues.map((queue) => [queue.name, queue.config]));
  const configOf = (name: string) => configs.get(name) ?? FAIL_CLOSED_CONFIG;
  const { type, id } = principal.actor;
  const memberships = new Set(
    groups.filter((group) => group.members.some((m) => m.type === type && m.id === id)).map((group) => group.name),
  );
  const actor: ActingPrincipal = {
    principal,
    memberOf: (group) => memberships.has(group),
    voted: (taskId) => voted.has(taskId),
  };

  const fieldsById = new Map<string, CardField[]>();
  const byQueue = new Map<string, string[]>();
  for (const card of cards) {
    if (configOf(card.queue).cardFields.length === 0) continue;
    byQueue.set(card.queue, [...(byQueue.get(card.queue) ?? []), card.id]);
  }
  await Promise.all(
    [...byQueue].map(async ([queue, ids]) => {
      const pointers = configOf(queue).cardFields;
      const values = await read.board.payloadValues(principal.workspaceId, ids, pointers);
      for (const [taskId, row] of values) {
        const fields: CardField[] = [];
        row.forEach((json, index) => {
          if (json !== null)
            fields.push({ label: cardFieldLabel(pointers[index] as string), value: cardFieldValue(json) });
        });
        fieldsById.set(taskId, fields);
      }
    }),
  );

  const detailed = new Map<string, DetailedCard>();
  for (const card of cards) {
    const refusals = taskActions(
      actor,
      {
        id: card.id,
        status: card.status,
        createdBy: card.createdBy,
        level: card.level,
        assignedGroup: card.assignedGroup,
        claimed: card.claimed,
        assignee: card.assignee,
        escalated: card.escalated,
      },
      configOf(card.queue),
    );
    const actions = {} as Record<TaskAction, string | null>;
    for (const [action, refusal] of Object.entries(refusals) as [TaskAction, AppError | null][]) {
      actions[action] = refusal === null ? null : cardReason(refusal, card);
    }
    detailed.set(card.id, { ...card, fields: fieldsById.get(card.id) ?? [], actions });
  }
  return detailed;
}
