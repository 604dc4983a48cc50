import type { TaskListFilter } from '../../domain/tasks/task-ports.js';
import { type Condition, compare, condition, equals } from '../sql.js';

/** `column LIKE ?` for a substring, with LIKE's own characters (and the escape) taken literally. */
function likeSubstring(column: string, text: string): Condition {
  return condition(`${column} LIKE ? ESCAPE '!'`, `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`);
}

/** Tags are stored as a JSON array: a tag is in it exactly when its JSON string is. */
export function hasTag(tag: string): Condition {
  return likeSubstring('tags', JSON.stringify(tag));
}

/**
 * The conditions of a task filter, shared by the task list, its export and the board's columns, so
 * a filter means the same on every view of the tasks. Filters not given are left out.
 */
export function taskFilterConditions(workspaceId: string, filter: TaskListFilter): (Condition | undefined)[] {
  return [
    equals('workspace_id', workspaceId),
    equals('status', filter.status),
    equals('queue', filter.queue),
    equals('risk_level', filter.riskLevel),
    equals('source', filter.source),
    equals('external_ref', filter.externalRef),
    equals('agent_id', filter.agentId),
    equals('assignee_id', filter.assigneeId),
    filter.unassigned ? condition('assignee_id IS NULL') : undefined,
    compare('due_at', '<=', filter.dueBy),
    compare('created_at', '>', filter.createdAfter),
    compare('created_at', '<', filter.createdBefore),
    filter.tag ? hasTag(filter.tag) : undefined,
    filter.search ? likeSubstring('title', filter.search) : undefined,
  ];
}
