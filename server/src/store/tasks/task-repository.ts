import {
  type DecisionAction,
  type Form,
  type FormResponse,
  isFinalStatus,
  type RiskLevel,
  type TaskClassification,
  type TaskStatus,
} from '@loopgate/shared';
import type {
  ColumnKey,
  ColumnOrder,
  TaskCursor,
  TaskListFilter,
  TaskRepository,
} from '../../domain/tasks/task-ports.js';
import {
  DEFAULT_WORKFLOW,
  type PayloadErasureRecord,
  type TaskRecord,
  type TaskTransition,
  type TaskWorkflowRecord,
} from '../../domain/tasks/task-record.js';
import type { UrgencyKey } from '../../domain/tasks/urgency.js';
import {
  type ActorType,
  actorOrNull,
  type Flag,
  type JsonText,
  parseJson,
  parseJsonOrNull,
  stringifyOrNull,
} from '../rows.js';
import { allOf, insertRow, isIn, olderThan, type Sql } from '../sql.js';
import { afterColumn, columnOrderSql } from './column-sort-sql.js';
import { taskFilterConditions } from './task-filters.js';
import { afterUrgency, URGENCY_ORDER_SQL } from './urgency-sql.js';

/** A `tasks` row. */
export interface TaskRow {
  id: string;
  workspace_id: string;
  queue: string;
  title: string;
  description: string | null;
  payload: JsonText;
  context: JsonText | null;
  confidence: number | null;
  risk_level: RiskLevel | null;
  /** A JSON array of strings. */
  tags: JsonText;
  source: string;
  external_ref: string | null;
  // The agent that asked: all NULL, or agent_id set and the rest as given.
  agent_id: string | null;
  agent_name: string | null;
  agent_version: string | null;
  agent_model: string | null;
  callback_url: string | null;
  status: TaskStatus;
  due_at: number | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  version: number;
  created_by_type: ActorType;
  created_by_id: string | null;
  created_by_name: string | null;
  /** A JSON form (shared/forms), NULL without one. */
  form: JsonText | null;
  response_form: JsonText | null;
  // The decision columns are NULL until a transition decides the task, and then all set together.
  decision_action: DecisionAction | null;
  decision_comment: string | null;
  decision_modified_payload: JsonText | null;
  decision_diff: string | null;
  decision_reason_code: string | null;
  /** A JSON object of answers (FormResponse). */
  decision_response: JsonText | null;
  decision_payload_digest: string | null;
  decided_by_type: ActorType | null;
  decided_by_id: string | null;
  decided_by_name: string | null;
  decided_at: number | null;
  routing_rule: string | null;
  routing_reason: string | null;
  levels_required: number;
  current_level: number;
  priority: number;
  escalated: Flag;
  escalation_step: number;
  /** When the SLA sweeper must look at the task next; NULL once it is final. */
  next_sweep_at: number | null;
  assigned_group: string | null;
  assignee_type: ActorType | null;
  assignee_id: string | null;
  assignee_name: string | null;
  claimed: Flag;
  /** When payload retention erased payload and context (then payload is 'null'); NULL: not erased. */
  payload_erased_at: number | null;
  /** SHA-256 hex of {payload, form} as they were erased. */
  erased_payload_digest: string | null;
  /** A JSON TaskClassification (detectors and paths, never values); NULL: the queue enabled none. */
  classification: JsonText | null;
}

type DecisionColumn = Extract<keyof TaskRow, `decision_${string}` | `decided_${string}`>;
type ErasureColumn = 'payload_erased_at' | 'erased_payload_digest';

/** The row a new task is inserted as: undecided and not erased, so those columns are left NULL. */
function newTaskRow(task: TaskRecord): Omit<TaskRow, DecisionColumn | ErasureColumn> {
  const flow = task.workflow ?? { ...DEFAULT_WORKFLOW, nextSweepAt: task.dueAt };
  return {
    id: task.id,
    workspace_id: task.workspaceId,
    queue: task.queue,
    title: task.title,
    description: task.description,
    payload: JSON.stringify(task.payload),
    context: stringifyOrNull(task.context),
    confidence: task.confidence,
    risk_level: task.riskLevel,
    tags: JSON.stringify(task.tags),
    source: task.source,
    external_ref: task.externalRef,
    agent_id: task.agent?.id ?? null,
    agent_name: task.agent?.name ?? null,
    agent_version: task.agent?.version ?? null,
    agent_model: task.agent?.model ?? null,
    callback_url: task.callbackUrl,
    status: task.status,
    due_at: task.dueAt,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    closed_at: task.closedAt,
    version: task.version,
    created_by_type: task.createdBy.type,
    created_by_id: task.createdBy.id,
    created_by_name: task.createdBy.name,
    form: stringifyOrNull(task.form),
    response_form: stringifyOrNull(task.responseForm),
    routing_rule: flow.routingRule,
    routing_reason: flow.routingReason,
    levels_required: flow.levels,
    current_level: flow.level,
    priority: flow.priority,
    escalated: flow.escalated ? 1 : 0,
    escalation_step: flow.escalationStep,
    next_sweep_at: flow.nextSweepAt,
    assigned_group: flow.assignedGroup,
    assignee_type: flow.assignee?.type ?? null,
    assignee_id: flow.assignee?.id ?? null,
    assignee_name: flow.assignee?.name ?? null,
    claimed: flow.claimed ? 1 : 0,
    classification: stringifyOrNull(task.classification ?? null),
  };
}

function rowToTask(row: TaskRow): TaskRecord {
  const decidedBy = actorOrNull(row.decided_by_type, row.decided_by_id, row.decided_by_name);
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    queue: row.queue,
    title: row.title,
    description: row.description,
    payload: parseJson(row.payload),
    context: parseJsonOrNull(row.context),
    confidence: row.confidence,
    riskLevel: row.risk_level,
    tags: parseJson<string[]>(row.tags),
    source: row.source,
    externalRef: row.external_ref,
    agent:
      row.agent_id === null
        ? null
        : { id: row.agent_id, name: row.agent_name, version: row.agent_version, model: row.agent_model },
    callbackUrl: row.callback_url,
    status: row.status,
    dueAt: row.due_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    version: row.version,
    createdBy: { type: row.created_by_type, id: row.created_by_id, name: row.created_by_name },
    form: parseJsonOrNull<Form>(row.form),
    responseForm: parseJsonOrNull<Form>(row.response_form),
    decision:
      row.decision_action === null || decidedBy === null || row.decided_at === null
        ? null
        : {
            action: row.decision_action,
            comment: row.decision_comment,
            modifiedPayload: parseJsonOrNull(row.decision_modified_payload),
            diff: row.decision_diff,
            reasonCode: row.decision_reason_code,
            response: parseJsonOrNull<FormResponse>(row.decision_response),
            payloadDigest: row.decision_payload_digest,
            decidedBy,
            decidedAt: row.decided_at,
          },
    workflow: {
      routingRule: row.routing_rule,
      routingReason: row.routing_reason,
      levels: row.levels_required,
      level: row.current_level,
      priority: row.priority,
      escalated: row.escalated === 1,
      escalationStep: row.escalation_step,
      nextSweepAt: row.next_sweep_at,
      assignedGroup: row.assigned_group,
      assignee: actorOrNull(row.assignee_type, row.assignee_id, row.assignee_name),
      claimed: row.claimed === 1,
    },
    payloadErasure:
      row.payload_erased_at === null || row.erased_payload_digest === null
        ? null
        : { erasedAt: Number(row.payload_erased_at), shownDigest: row.erased_payload_digest },
    classification: parseJsonOrNull<TaskClassification>(row.classification),
  };
}

/** The workflow fields a transition may set one by one, with their columns and how each is stored. */
const WORKFLOW_COLUMNS: [keyof TaskWorkflowRecord, keyof TaskRow, (value: never) => unknown][] = [
  ['routingRule', 'routing_rule', (v: string | null) => v],
  ['routingReason', 'routing_reason', (v: string | null) => v],
  ['levels', 'levels_required', (v: number) => v],
  ['level', 'current_level', (v: number) => v],
  ['priority', 'priority', (v: number) => v],
  ['escalated', 'escalated', (v: boolean) => (v ? 1 : 0)],
  ['escalationStep', 'escalation_step', (v: number) => v],
  ['assignedGroup', 'assigned_group', (v: string | null) => v],
  ['claimed', 'claimed', (v: boolean) => (v ? 1 : 0)],
];

export class SqlTaskRepository implements TaskRepository {
  constructor(private readonly sql: Sql) {}

  async insert(task: TaskRecord): Promise<void> {
    await insertRow(this.sql, 'tasks', newTaskRow(task));
  }

  async findById(workspaceId: string, id: string): Promise<TaskRecord | null> {
    const { rows } = await this.sql.query<TaskRow>('SELECT * FROM tasks WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return rows[0] ? rowToTask(rows[0]) : null;
  }

  async list(workspaceId: string, filter: TaskListFilter, limit: number, after?: TaskCursor): Promise<TaskRecord[]> {
    const where = allOf(...taskFilterConditions(workspaceId, filter), olderThan(after));
    const { rows } = await this.sql.query<TaskRow>(
      `SELECT * FROM tasks WHERE ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(rowToTask);
  }

  async listOpenByUrgency(workspaceId: string, limit: number, offset: number): Promise<TaskRecord[]> {
    const { rows } = await this.sql.query<TaskRow>(
      `SELECT * FROM tasks WHERE workspace_id = ? AND status IN ('pending_review', 'in_review')
       ORDER BY ${URGENCY_ORDER_SQL} LIMIT ? OFFSET ?`,
      [workspaceId, limit, offset],
    );
    return rows.map(rowToTask);
  }

  async listByUrgency(
    workspaceId: string,
    filter: TaskListFilter,
    limit: number,
    after?: UrgencyKey,
  ): Promise<TaskRecord[]> {
    const where = allOf(...taskFilterConditions(workspaceId, filter), afterUrgency(after));
    const { rows } = await this.sql.query<TaskRow>(
      `SELECT * FROM tasks WHERE ${where.sql} ORDER BY ${URGENCY_ORDER_SQL} LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(rowToTask);
  }

  async listByColumn(
    workspaceId: string,
    filter: TaskListFilter,
    order: ColumnOrder,
    limit: number,
    after?: ColumnKey,
  ): Promise<TaskRecord[]> {
    const where = allOf(...taskFilterConditions(workspaceId, filter), afterColumn(order, after));
    const { rows } = await this.sql.query<TaskRow>(
      `SELECT * FROM tasks WHERE ${where.sql} ORDER BY ${columnOrderSql(order)} LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(rowToTask);
  }

  async renameAssignedGroup(workspaceId: string, from: string, to: string, now: number): Promise<number> {
    const { affected } = await this.sql.query(
      `UPDATE tasks SET assigned_group = ?, version = version + 1, updated_at = ?
        WHERE workspace_id = ? AND assigned_group = ? AND status IN ('pending_review', 'in_review')`,
      [to, now, workspaceId, from],
    );
    return affected;
  }

  async listErasable(statuses: readonly TaskStatus[], closedBefore: number, limit: number): Promise<TaskRecord[]> {
    const status = isIn('status', statuses);
    // Walks idx_tasks_payload_retention: the NULL prefix is what is left to erase, by close time.
    const { rows } = await this.sql.query<TaskRow>(
      `SELECT * FROM tasks WHERE payload_erased_at IS NULL AND closed_at < ? AND ${status.sql}
       ORDER BY closed_at, id LIMIT ?`,
      [closedBefore, ...status.params, limit],
    );
    return rows.map(rowToTask);
  }

  async erasePayload(
    workspaceId: string,
    id: string,
    expectedVersion: number,
    erasure: PayloadErasureRecord,
  ): Promise<boolean> {
    // updated_at stays: it orders lists and cursors by the task's own changes, and this is not one.
    const { affected } = await this.sql.query(
      `UPDATE tasks SET payload = 'null', context = NULL, decision_modified_payload = NULL, decision_diff = NULL,
         payload_erased_at = ?, erased_payload_digest = ?, version = version + 1
       WHERE id = ? AND workspace_id = ? AND version = ? AND payload_erased_at IS NULL`,
      [erasure.erasedAt, erasure.shownDigest, id, workspaceId, expectedVersion],
    );
    return affected === 1;
  }

  /**
   * The compare-and-set every task change goes through (domain/tasks/task-transition.ts applies the
   * same change to the record): one UPDATE that matches only while the row still has the status and
   * version the caller read, so of concurrent changes exactly one wins.
   */
  async transition(
    workspaceId: string,
    id: string,
    expected: { status: TaskStatus; version: number },
    change: TaskTransition,
  ): Promise<boolean> {
    const sets = ['status = ?', 'updated_at = ?', 'version = version + 1'];
    const params: unknown[] = [change.status, change.updatedAt];
    if (change.closedAt !== undefined) {
      sets.push('closed_at = ?');
      params.push(change.closedAt);
    }
    if (change.decision) {
      const d = change.decision;
      sets.push(
        'decision_action = ?',
        'decision_comment = ?',
        'decision_modified_payload = ?',
        'decision_diff = ?',
        'decision_reason_code = ?',
        'decision_response = ?',
        'decision_payload_digest = ?',
        'decided_by_type = ?',
        'decided_by_id = ?',
        'decided_by_name = ?',
        'decided_at = ?',
      );
      params.push(
        d.action,
        d.comment,
        d.action === 'approve_with_modifications' ? JSON.stringify(d.modifiedPayload) : null,
        d.action === 'approve_with_modifications' ? d.diff : null,
        d.reasonCode,
        stringifyOrNull(d.response),
        d.payloadDigest ?? null,
        d.decidedBy.type,
        d.decidedBy.id,
        d.decidedBy.name,
        d.decidedAt,
      );
    }
    const flow = change.workflow ?? {};
    for (const [field, column, encode] of WORKFLOW_COLUMNS) {
      if (flow[field] !== undefined) {
        sets.push(`${column} = ?`);
        params.push(encode(flow[field] as never));
      }
    }
    if (flow.assignee !== undefined) {
      sets.push('assignee_type = ?', 'assignee_id = ?', 'assignee_name = ?');
      params.push(flow.assignee?.type ?? null, flow.assignee?.id ?? null, flow.assignee?.name ?? null);
    }
    // A final task has no deadline left; clearing it here means no closing path can leave work for the sweeper.
    if (isFinalStatus(change.status)) sets.push('next_sweep_at = NULL');
    else if (flow.nextSweepAt !== undefined) {
      sets.push('next_sweep_at = ?');
      params.push(flow.nextSweepAt);
    }
    params.push(id, workspaceId, expected.status, expected.version);
    const { affected } = await this.sql.query(
      `UPDATE tasks SET ${sets.join(', ')} WHERE id = ? AND workspace_id = ? AND status = ? AND version = ?`,
      params,
    );
    return affected === 1;
  }
}
