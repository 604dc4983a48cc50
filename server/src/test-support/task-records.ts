import type { TaskRecord } from '../domain/tasks/task-record.js';

/** A task row as the store holds it, for tests that write tasks without the service: open, undecided, made by a test actor. */
export function taskRecord(
  workspaceId: string,
  id: string,
  createdAt: number,
  extra: Partial<TaskRecord> = {},
): TaskRecord {
  return {
    id,
    workspaceId,
    queue: 'default',
    title: id,
    description: null,
    payload: { id },
    context: null,
    confidence: null,
    riskLevel: null,
    tags: [],
    source: 'api',
    externalRef: null,
    agent: null,
    callbackUrl: null,
    status: 'pending_review',
    dueAt: null,
    createdAt,
    updatedAt: createdAt,
    closedAt: null,
    version: 1,
    createdBy: { type: 'system', id: null, name: 'test' },
    form: null,
    responseForm: null,
    decision: null,
    payloadErasure: null,
    classification: null,
    ...extra,
  };
}
