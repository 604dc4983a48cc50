import type { BoardColumnConfig, BoardConfigInput } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import type { Store } from '../store.js';
import { DEFAULT_BOARD_COLUMNS } from './board.js';

/** The board's configuration as GET /api/v1/board and /settings/board show it. */
export interface BoardConfigView {
  columns: BoardColumnConfig[];
  /** 0: never configured (the built-in columns). */
  version: number;
  updatedAt: number | null;
}

/** The workspace's board columns (the built-in five until an admin changes them); any member may read them. */
export async function getBoardConfig(deps: { store: Store }, principal: Principal): Promise<BoardConfigView> {
  authorize(principal, 'task:read');
  const record = await deps.store.read.boardConfigs.find(principal.workspaceId);
  if (!record) return { columns: DEFAULT_BOARD_COLUMNS.map((column) => ({ ...column })), version: 0, updatedAt: null };
  return { columns: record.columns, version: record.version, updatedAt: record.updatedAt };
}

/**
 * Replaces the workspace's board columns (admins only; `input` checked by boardConfigInputSchema,
 * as the API and the page do), audited in the same transaction. With
 * `version` the change is refused (conflict) when someone saved the board since that version.
 */
export async function saveBoardConfig(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  input: BoardConfigInput,
  requestId: string | null,
): Promise<BoardConfigView> {
  authorize(principal, 'workspace:admin');
  const { columns, version } = input;
  const now = deps.clock();
  const saved = await deps.store.transaction(async (tx) => {
    const current = await tx.boardConfigs.find(principal.workspaceId);
    const currentVersion = current?.version ?? 0;
    if (version !== undefined && version !== currentVersion) return null;
    const record = {
      workspaceId: principal.workspaceId,
      columns,
      version: currentVersion + 1,
      updatedAt: now,
      updatedBy: principal.actor.type === 'user' ? principal.actor.id : null,
    };
    if (!(await tx.boardConfigs.save(record))) return null;
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'board.configured',
      target: { type: 'board', id: principal.workspaceId },
      data: {
        version: record.version,
        columns: columns.map((column) => `${column.id}${column.hidden ? ' (hidden)' : ''}`),
      },
      requestId,
    });
    return record;
  });
  if (!saved) {
    throw new AppError('conflict', 'The board was changed by someone else since you opened it; reload and try again');
  }
  return { columns: saved.columns, version: saved.version, updatedAt: saved.updatedAt };
}
