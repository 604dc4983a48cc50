import type {
  IntegrationAuditRecord,
  IntegrationRefusalCount,
  SlackIntegrationRecord,
  SlackRepository,
  SlackUserLinkRecord,
} from '../../domain/delivery/delivery-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** A `slack_integrations` row: an incoming webhook to post to and the secret Slack signs its calls with. */
interface SlackIntegrationRow {
  id: string;
  workspace_id: string;
  /** NULL: every queue of the workspace. */
  queue: string | null;
  webhook_url: string;
  signing_secret: string;
  created_at: number;
}

/** A `slack_user_links` row: which Loopgate user a Slack user of an integration acts as. */
interface SlackUserLinkRow {
  integration_id: string;
  slack_user_id: string;
  workspace_id: string;
  user_id: string;
  created_at: number;
}

/** An `integration_audit` row. */
interface IntegrationAuditRow {
  /** Autoincrement: the order entries were written in. */
  seq: number;
  /** NULL when the request named no known integration. */
  workspace_id: string | null;
  source: string;
  outcome: string;
  detail: string;
  created_at: number;
}

/** An `integration_refusals` row: refused requests of one kind in one window. */
interface IntegrationRefusalRow {
  /** The workspace id, or NO_WORKSPACE (a primary key column cannot be NULL). */
  scope: string;
  source: string;
  reason: string;
  window_start: number;
  refused: number;
  last_at: number;
}

/** integration_refusals.scope for requests that named no known integration. */
const NO_WORKSPACE = '';

function rowToIntegration(row: SlackIntegrationRow): SlackIntegrationRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    queue: row.queue,
    webhookUrl: row.webhook_url,
    signingSecret: row.signing_secret,
    createdAt: row.created_at,
  };
}

export class SqlSlackRepository implements SlackRepository {
  constructor(private readonly sql: Sql) {}

  async insertIntegration(i: SlackIntegrationRecord): Promise<void> {
    const row: SlackIntegrationRow = {
      id: i.id,
      workspace_id: i.workspaceId,
      queue: i.queue,
      webhook_url: i.webhookUrl,
      signing_secret: i.signingSecret,
      created_at: i.createdAt,
    };
    await insertRow(this.sql, 'slack_integrations', row);
  }

  async findIntegration(id: string): Promise<SlackIntegrationRecord | null> {
    const { rows } = await this.sql.query<SlackIntegrationRow>('SELECT * FROM slack_integrations WHERE id = ?', [id]);
    return rows[0] ? rowToIntegration(rows[0]) : null;
  }

  async listIntegrations(workspaceId: string): Promise<SlackIntegrationRecord[]> {
    const { rows } = await this.sql.query<SlackIntegrationRow>(
      'SELECT * FROM slack_integrations WHERE workspace_id = ? ORDER BY created_at, id',
      [workspaceId],
    );
    return rows.map(rowToIntegration);
  }

  async deleteIntegration(workspaceId: string, id: string): Promise<boolean> {
    const { affected } = await this.sql.query('DELETE FROM slack_integrations WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return affected === 1;
  }

  async upsertUserLink(link: SlackUserLinkRecord): Promise<void> {
    const { affected } = await this.sql.query(
      'UPDATE slack_user_links SET user_id = ? WHERE integration_id = ? AND slack_user_id = ?',
      [link.userId, link.integrationId, link.slackUserId],
    );
    if (affected > 0) return;
    const row: SlackUserLinkRow = {
      integration_id: link.integrationId,
      slack_user_id: link.slackUserId,
      workspace_id: link.workspaceId,
      user_id: link.userId,
      created_at: link.createdAt,
    };
    await insertRow(this.sql, 'slack_user_links', row);
  }

  async findUserLink(integrationId: string, slackUserId: string): Promise<SlackUserLinkRecord | null> {
    const { rows } = await this.sql.query<SlackUserLinkRow>(
      'SELECT * FROM slack_user_links WHERE integration_id = ? AND slack_user_id = ?',
      [integrationId, slackUserId],
    );
    const row = rows[0];
    return row
      ? {
          integrationId: row.integration_id,
          workspaceId: row.workspace_id,
          slackUserId: row.slack_user_id,
          userId: row.user_id,
          createdAt: row.created_at,
        }
      : null;
  }

  async appendAudit(r: IntegrationAuditRecord): Promise<void> {
    const row: Omit<IntegrationAuditRow, 'seq'> = {
      workspace_id: r.workspaceId,
      source: r.source,
      outcome: r.outcome,
      detail: r.detail.slice(0, 1000),
      created_at: r.createdAt,
    };
    await insertRow(this.sql, 'integration_audit', row);
  }

  async listAudit(workspaceId: string, limit: number): Promise<IntegrationAuditRecord[]> {
    const { rows } = await this.sql.query<IntegrationAuditRow>(
      'SELECT * FROM integration_audit WHERE workspace_id = ? ORDER BY seq DESC LIMIT ?',
      [workspaceId, limit],
    );
    return rows.map((row) => ({
      workspaceId: row.workspace_id,
      source: row.source,
      outcome: row.outcome,
      detail: row.detail,
      createdAt: row.created_at,
    }));
  }

  async countRefusal(r: {
    workspaceId: string | null;
    source: string;
    reason: string;
    windowStart: number;
    at: number;
  }): Promise<number> {
    const scope = r.workspaceId ?? NO_WORKSPACE;
    const key = [scope, r.source, r.reason, r.windowStart];
    const where = 'scope = ? AND source = ? AND reason = ? AND window_start = ?';
    const bump = () =>
      this.sql.query(`UPDATE integration_refusals SET refused = refused + 1, last_at = ? WHERE ${where}`, [
        r.at,
        ...key,
      ]);
    // The window's row exists after its first refusal, so this is one UPDATE; only the first of a window
    // inserts (IGNORE: a concurrent first may have just done so) and bumps again.
    if ((await bump()).affected === 0) {
      const window: IntegrationRefusalRow = {
        scope,
        source: r.source,
        reason: r.reason,
        window_start: r.windowStart,
        refused: 0,
        last_at: r.at,
      };
      await insertRow(this.sql, 'integration_refusals', window, { ignore: true });
      await bump();
    }
    const { rows } = await this.sql.query<Pick<IntegrationRefusalRow, 'refused'>>(
      `SELECT refused FROM integration_refusals WHERE ${where}`,
      key,
    );
    return Number(rows[0]?.refused);
  }

  async listRefusals(workspaceId: string | null, since: number): Promise<IntegrationRefusalCount[]> {
    const { rows } = await this.sql.query<IntegrationRefusalRow>(
      'SELECT * FROM integration_refusals WHERE scope = ? AND window_start >= ? ORDER BY window_start DESC, source, reason',
      [workspaceId ?? NO_WORKSPACE, since],
    );
    return rows.map((row) => ({
      workspaceId: row.scope === NO_WORKSPACE ? null : row.scope,
      source: row.source,
      reason: row.reason,
      windowStart: row.window_start,
      refused: row.refused,
      lastAt: row.last_at,
    }));
  }
}
