import type { IdempotencyBegin, IdempotencyRepository, StoredResponse } from '../../domain/tasks/task-ports.js';
import { deleteBatch, insertRow, type Sql } from '../sql.js';

/** An `idempotency_keys` row: a request's claim on a key and, once it completed, its response as sent. */
type IdempotencyRow = IdempotencyClaim &
  (
    | { state: 'in_flight'; response_status: null; response_body: null }
    | { state: 'completed'; response_status: number; response_body: string }
  );

interface IdempotencyClaim {
  workspace_id: string;
  idem_key: string;
  request_hash: string;
  created_at: number;
  updated_at: number;
}

export class SqlIdempotencyRepository implements IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  async begin(
    workspaceId: string,
    key: string,
    requestHash: string,
    now: number,
    staleBefore: number,
  ): Promise<IdempotencyBegin> {
    const claim: IdempotencyClaim & { state: 'in_flight' } = {
      workspace_id: workspaceId,
      idem_key: key,
      request_hash: requestHash,
      state: 'in_flight',
      created_at: now,
      updated_at: now,
    };
    if (await insertRow(this.sql, 'idempotency_keys', claim, { ignore: true })) return { outcome: 'started' };
    const { rows } = await this.sql.query<IdempotencyRow>(
      'SELECT * FROM idempotency_keys WHERE workspace_id = ? AND idem_key = ?',
      [workspaceId, key],
    );
    const row = rows[0];
    if (!row) return this.begin(workspaceId, key, requestHash, now, staleBefore);
    if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
    if (row.state === 'completed') {
      return { outcome: 'completed', response: { status: row.response_status, body: row.response_body } };
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
