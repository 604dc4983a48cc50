import {
  type Actor,
  type DecisionAction,
  isFinalStatus,
  type RiskLevel,
  type Role,
  type TaskStatus,
} from '@loopgate/shared';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  MembershipRecord,
  UserRecord,
  UserRepository,
  WorkspaceRecord,
  WorkspaceRepository,
} from '../domain/admin/admin-ports.js';
import type { Repositories } from '../domain/store.js';
import type {
  IdempotencyBegin,
  IdempotencyRepository,
  StoredResponse,
  TaskCursor,
  TaskEventRepository,
  TaskListFilter,
  TaskRepository,
} from '../domain/tasks/task-ports.js';
import {
  DEFAULT_WORKFLOW,
  type JsonValue,
  type TaskEventRecord,
  type TaskRecord,
  type TaskTransition,
  type TaskWorkflowRecord,
} from '../domain/tasks/task-record.js';
import { createApprovalRepositories } from './approvals/approval-repositories.js';
import { SqlAuditRepository } from './audit/audit-repository.js';
import { createDeliveryRepositories } from './delivery/delivery-repositories.js';
import { createInvitationRepositories } from './reviewers/invitation-repositories.js';
import { createWebRepositories } from './reviewers/reviewer-repositories.js';
import { deleteBatch, insertIgnore, type Row, type Sql } from './sql.js';

const str = (value: unknown) => value as string;
const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const num = (value: unknown) => Number(value);
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const numOr = (value: unknown, fallback: number) => (value === null || value === undefined ? fallback : Number(value));
const json = (value: unknown) => JSON.parse(value as string) as JsonValue;
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : json(value));

function actor(type: unknown, id: unknown, name: unknown): Actor {
  return { type: type as Actor['type'], id: strOrNull(id), name: strOrNull(name) };
}

function rowToTask(row: Row): TaskRecord {
  return {
    id: str(row.id),
    workspaceId: str(row.workspace_id),
    queue: str(row.queue),
    title: str(row.title),
    description: strOrNull(row.description),
    payload: json(row.payload),
    context: jsonOrNull(row.context),
    confidence: numOrNull(row.confidence),
    riskLevel: strOrNull(row.risk_level) as RiskLevel | null,
    tags: json(row.tags) as string[],
    source: str(row.source),
    externalRef: strOrNull(row.external_ref),
    callbackUrl: strOrNull(row.callback_url),
    status: str(row.status) as TaskStatus,
    dueAt: numOrNull(row.due_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    closedAt: numOrNull(row.closed_at),
    version: num(row.version),
    createdBy: actor(row.created_by_type, row.created_by_id, row.created_by_name),
    decision:
      row.decision_action === null || row.decision_action === undefined
        ? null
        : {
            action: str(row.decision_action) as DecisionAction,
            comment: strOrNull(row.decision_comment),
            modifiedPayload: jsonOrNull(row.decision_modified_payload),
            diff: strOrNull(row.decision_diff),
            decidedBy: actor(row.decided_by_type, row.decided_by_id, row.decided_by_name),
            decidedAt: num(row.decided_at),
          },
    workflow: {
      routingRule: strOrNull(row.routing_rule),
      routingReason: strOrNull(row.routing_reason),
      levels: numOr(row.levels_required, 1),
      level: numOr(row.current_level, 1),
      priority: numOr(row.priority, 0),
      escalated: numOr(row.escalated, 0) === 1,
      escalationStep: numOr(row.escalation_step, 0),
      nextSweepAt: numOrNull(row.next_sweep_at),
      assignedGroup: strOrNull(row.assigned_group),
      assignee:
        row.assignee_type === null || row.assignee_type === undefined
          ? null
          : actor(row.assignee_type, row.assignee_id, row.assignee_name),
      claimed: numOr(row.claimed, 0) === 1,
    },
  };
}

const TASK_COLUMNS = [
  'id',
  'workspace_id',
  'queue',
  'title',
  'description',
  'payload',
  'context',
  'confidence',
  'risk_level',
  'tags',
  'source',
  'external_ref',
  'callback_url',
  'status',
  'due_at',
  'created_at',
  'updated_at',
  'closed_at',
  'version',
  'created_by_type',
  'created_by_id',
  'created_by_name',
  'routing_rule',
  'routing_reason',
  'levels_required',
  'current_level',
  'priority',
  'escalated',
  'escalation_step',
  'next_sweep_at',
  'assigned_group',
  'assignee_type',
  'assignee_id',
  'assignee_name',
  'claimed',
] as const;
const INSERT_TASK = `INSERT INTO tasks (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})`;

class SqlTaskRepository implements TaskRepository {
  constructor(private readonly sql: Sql) {}

  async insert(task: TaskRecord): Promise<void> {
    const flow = task.workflow ?? { ...DEFAULT_WORKFLOW, nextSweepAt: task.dueAt };
    await this.sql.query(INSERT_TASK, [
      task.id,
      task.workspaceId,
      task.queue,
      task.title,
      task.description,
      JSON.stringify(task.payload),
      task.context === null ? null : JSON.stringify(task.context),
      task.confidence,
      task.riskLevel,
      JSON.stringify(task.tags),
      task.source,
      task.externalRef,
      task.callbackUrl,
      task.status,
      task.dueAt,
      task.createdAt,
      task.updatedAt,
      task.closedAt,
      task.version,
      task.createdBy.type,
      task.createdBy.id,
      task.createdBy.name,
      flow.routingRule,
      flow.routingReason,
      flow.levels,
      flow.level,
      flow.priority,
      flow.escalated ? 1 : 0,
      flow.escalationStep,
      flow.nextSweepAt,
      flow.assignedGroup,
      flow.assignee?.type ?? null,
      flow.assignee?.id ?? null,
      flow.assignee?.name ?? null,
      flow.claimed ? 1 : 0,
    ]);
  }

  async findById(workspaceId: string, id: string): Promise<TaskRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM tasks WHERE id = ? AND workspace_id = ?', [id, workspaceId]);
    return rows[0] ? rowToTask(rows[0]) : null;
  }

  async list(workspaceId: string, filter: TaskListFilter, limit: number, after?: TaskCursor): Promise<TaskRecord[]> {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [workspaceId];
    const equals: [string, unknown][] = [
      ['status', filter.status],
      ['queue', filter.queue],
      ['risk_level', filter.riskLevel],
      ['source', filter.source],
      ['external_ref', filter.externalRef],
    ];
    for (const [column, value] of equals) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (filter.createdAfter !== undefined) {
      where.push('created_at > ?');
      params.push(filter.createdAfter);
    }
    if (filter.createdBefore !== undefined) {
      where.push('created_at < ?');
      params.push(filter.createdBefore);
    }
    if (after) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(after.createdAt, after.createdAt, after.id);
    }
    params.push(limit);
    const { rows } = await this.sql.query(
      `SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(rowToTask);
  }

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
        d.decidedBy.type,
        d.decidedBy.id,
        d.decidedBy.name,
        d.decidedAt,
      );
    }
    const flow = change.workflow ?? {};
    const flowColumns: [keyof TaskWorkflowRecord, string, (value: never) => unknown][] = [
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
    for (const [field, column, encode] of flowColumns) {
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

class SqlTaskEventRepository implements TaskEventRepository {
  constructor(private readonly sql: Sql) {}

  async append(event: TaskEventRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO task_events (id, workspace_id, task_id, type, from_status, to_status, actor_type, actor_id, actor_name, reason, data, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        event.id,
        event.workspaceId,
        event.taskId,
        event.type,
        event.fromStatus,
        event.toStatus,
        event.actor.type,
        event.actor.id,
        event.actor.name,
        event.reason,
        event.data === null ? null : JSON.stringify(event.data),
        event.createdAt,
      ],
    );
  }

  async listForTask(workspaceId: string, taskId: string): Promise<TaskEventRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM task_events WHERE task_id = ? AND workspace_id = ? ORDER BY seq',
      [taskId, workspaceId],
    );
    return rows.map((row) => ({
      id: str(row.id),
      workspaceId: str(row.workspace_id),
      taskId: str(row.task_id),
      type: str(row.type),
      fromStatus: strOrNull(row.from_status) as TaskStatus | null,
      toStatus: strOrNull(row.to_status) as TaskStatus | null,
      actor: actor(row.actor_type, row.actor_id, row.actor_name),
      reason: strOrNull(row.reason),
      data: jsonOrNull(row.data),
      createdAt: num(row.created_at),
    }));
  }
}

function rowToWorkspace(row: Row): WorkspaceRecord {
  return { id: str(row.id), slug: str(row.slug), name: str(row.name), createdAt: num(row.created_at) };
}

class SqlWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly sql: Sql) {}

  async insert(workspace: WorkspaceRecord): Promise<void> {
    await this.sql.query('INSERT INTO workspaces (id, slug, name, created_at) VALUES (?, ?, ?, ?)', [
      workspace.id,
      workspace.slug,
      workspace.name,
      workspace.createdAt,
    ]);
  }

  async findBySlug(slug: string): Promise<WorkspaceRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM workspaces WHERE slug = ?', [slug]);
    return rows[0] ? rowToWorkspace(rows[0]) : null;
  }

  async findById(id: string): Promise<WorkspaceRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM workspaces WHERE id = ?', [id]);
    return rows[0] ? rowToWorkspace(rows[0]) : null;
  }

  async list(): Promise<WorkspaceRecord[]> {
    const { rows } = await this.sql.query('SELECT * FROM workspaces ORDER BY created_at, id');
    return rows.map(rowToWorkspace);
  }
}

function rowToUser(row: Row): UserRecord {
  return {
    id: str(row.id),
    email: str(row.email),
    name: strOrNull(row.name),
    passwordHash: strOrNull(row.password_hash),
    createdAt: num(row.created_at),
  };
}

class SqlUserRepository implements UserRepository {
  constructor(private readonly sql: Sql) {}

  async insert(user: UserRecord): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
      [user.id, user.email, user.name, user.passwordHash, user.createdAt],
    );
    return affected === 1;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM users WHERE email = ?', [email]);
    return rows[0] ? rowToUser(rows[0]) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM users WHERE id = ?', [id]);
    return rows[0] ? rowToUser(rows[0]) : null;
  }

  async setFirstPassword(userId: string, passwordHash: string): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NULL',
      [passwordHash, userId],
    );
    return affected === 1;
  }

  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE users SET password_hash = ? WHERE id = ?', [
      passwordHash,
      userId,
    ]);
    return affected === 1;
  }

  async upsertMembership(membership: MembershipRecord): Promise<void> {
    // Insert-or-keep first, then set the role: correct whether or not the driver counts unchanged rows as affected.
    await this.sql.query(
      `${insertIgnore(this.sql.dialect)} memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
      [membership.workspaceId, membership.userId, membership.role, membership.createdAt],
    );
    await this.sql.query('UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?', [
      membership.role,
      membership.workspaceId,
      membership.userId,
    ]);
  }

  async addMembership(membership: MembershipRecord): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
      [membership.workspaceId, membership.userId, membership.role, membership.createdAt],
    );
    return affected === 1;
  }

  async findMembership(workspaceId: string, userId: string): Promise<MembershipRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM memberships WHERE workspace_id = ? AND user_id = ?', [
      workspaceId,
      userId,
    ]);
    const row = rows[0];
    return row
      ? {
          workspaceId: str(row.workspace_id),
          userId: str(row.user_id),
          role: str(row.role) as Role,
          createdAt: num(row.created_at),
        }
      : null;
  }
}

function rowToApiKey(row: Row): ApiKeyRecord {
  return {
    id: str(row.id),
    workspaceId: str(row.workspace_id),
    name: str(row.name),
    role: str(row.role) as Role,
    prefix: str(row.prefix),
    keyHash: str(row.key_hash),
    createdAt: num(row.created_at),
    revokedAt: numOrNull(row.revoked_at),
    lastUsedAt: numOrNull(row.last_used_at),
    createdBy:
      row.created_by_type === null || row.created_by_type === undefined
        ? null
        : actor(row.created_by_type, row.created_by_id, row.created_by_name),
  };
}

class SqlApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly sql: Sql) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO api_keys (id, workspace_id, name, role, prefix, key_hash, created_at, revoked_at, last_used_at,
         created_by_type, created_by_id, created_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        key.id,
        key.workspaceId,
        key.name,
        key.role,
        key.prefix,
        key.keyHash,
        key.createdAt,
        key.revokedAt,
        key.lastUsedAt,
        key.createdBy?.type ?? null,
        key.createdBy?.id ?? null,
        key.createdBy?.name ?? null,
      ],
    );
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM api_keys WHERE key_hash = ?', [keyHash]);
    return rows[0] ? rowToApiKey(rows[0]) : null;
  }

  async findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM api_keys WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return rows[0] ? rowToApiKey(rows[0]) : null;
  }

  async listActive(workspaceId: string | null): Promise<ApiKeyRecord[]> {
    const { rows } =
      workspaceId === null
        ? await this.sql.query('SELECT * FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id')
        : await this.sql.query(
            'SELECT * FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY created_at, id',
            [workspaceId],
          );
    return rows.map(rowToApiKey);
  }

  async findActiveByRef(ref: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM api_keys WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL ORDER BY created_at, id',
      [ref, ref],
    );
    return rows.map(rowToApiKey);
  }

  async revoke(workspaceId: string, id: string, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL',
      [now, id, workspaceId],
    );
    return affected === 1;
  }

  async touchLastUsed(id: string, now: number, staleBefore: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
      [now, id, staleBefore],
    );
    return affected === 1;
  }
}

class SqlIdempotencyRepository implements IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  async begin(
    workspaceId: string,
    key: string,
    requestHash: string,
    now: number,
    staleBefore: number,
  ): Promise<IdempotencyBegin> {
    const inserted = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} idempotency_keys (workspace_id, idem_key, request_hash, state, created_at, updated_at) VALUES (?, ?, ?, 'in_flight', ?, ?)`,
      [workspaceId, key, requestHash, now, now],
    );
    if (inserted.affected === 1) return { outcome: 'started' };
    const { rows } = await this.sql.query('SELECT * FROM idempotency_keys WHERE workspace_id = ? AND idem_key = ?', [
      workspaceId,
      key,
    ]);
    const row = rows[0];
    if (!row) return this.begin(workspaceId, key, requestHash, now, staleBefore);
    if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
    if (row.state === 'completed') {
      return { outcome: 'completed', response: { status: num(row.response_status), body: str(row.response_body) } };
    }
    const takenOver = await this.sql.query(
      "UPDATE idempotency_keys SET updated_at = ? WHERE workspace_id = ? AND idem_key = ? AND state = 'in_flight' AND updated_at = ? AND updated_at < ?",
      [now, workspaceId, key, row.updated_at, staleBefore],
    );
    return takenOver.affected === 1 ? { outcome: 'started' } : { outcome: 'in_flight' };
  }

  async complete(workspaceId: string, key: string, response: StoredResponse, now: number): Promise<void> {
    await this.sql.query(
      "UPDATE idempotency_keys SET state = 'completed', response_status = ?, response_body = ?, updated_at = ? WHERE workspace_id = ? AND idem_key = ?",
      [response.status, response.body, now, workspaceId, key],
    );
  }

  async release(workspaceId: string, key: string): Promise<void> {
    await this.sql.query(
      "DELETE FROM idempotency_keys WHERE workspace_id = ? AND idem_key = ? AND state = 'in_flight'",
      [workspaceId, key],
    );
  }

  async deleteCreatedBefore(createdBefore: number, limit: number): Promise<number> {
    // Through idx_idempotency_keys_created.
    const { affected } = await this.sql.query(deleteBatch(this.sql.dialect, 'idempotency_keys', 'created_at <= ?'), [
      createdBefore,
      limit,
    ]);
    return affected;
  }
}

export function createRepositories(sql: Sql): Repositories {
  return {
    tasks: new SqlTaskRepository(sql),
    taskEvents: new SqlTaskEventRepository(sql),
    workspaces: new SqlWorkspaceRepository(sql),
    users: new SqlUserRepository(sql),
    apiKeys: new SqlApiKeyRepository(sql),
    audit: new SqlAuditRepository(sql),
    idempotency: new SqlIdempotencyRepository(sql),
    ...createDeliveryRepositories(sql),
    ...createApprovalRepositories(sql),
    ...createWebRepositories(sql),
    ...createInvitationRepositories(sql),
  };
}
