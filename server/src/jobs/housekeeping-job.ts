import type { Logger } from 'pino';
import { pruneAuditLogs } from '../domain/audit/prune-audit-log.js';
import { type HousekeepingDeps, pruneOnce } from '../domain/housekeeping/housekeeping.js';
import type { Store } from '../domain/store.js';
import { eraseExpiredPayloads } from '../domain/tasks/erase-payloads.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/** Rows per delete statement: small enough that no batch holds locks or SQLite's writer for long. */
export const HOUSEKEEPING_BATCH_SIZE = 1000;

/**
 * Runs pruneOnce every `intervalMinutes`, the first time right after start (a process that restarts
 * often still gets its runs). Across processes runs may overlap, which is safe (see pruneOnce).
 */
export function startHousekeeping(
  deps: HousekeepingDeps & {
    clock: () => number;
    /** The audit log's retention (null: forever) and the store it prunes; without it the log is not pruned here. */
    audit?: { store: Pick<Store, 'read' | 'transaction'>; retentionMs: number | null };
    /** Payload retention (null: payloads are kept); without it no payload is erased here. */
    payloads?: { store: Pick<Store, 'read' | 'transaction'>; retentionMs: number | null };
  },
  options: {
    intervalMinutes: number;
    deliveryRetentionMs: number | null;
    logger: Logger;
    batchSize?: number;
  },
): RepeatingJob {
  return runEvery(
    {
      name: 'housekeeping',
      intervalMs: options.intervalMinutes * 60_000,
      logger: options.logger,
      failure: 'housekeeping failed',
    },
    async (signal) => {
      const startedAt = performance.now();
      const result = await pruneOnce(deps, {
        now: deps.clock(),
        deliveryRetentionMs: options.deliveryRetentionMs,
        batchSize: options.batchSize ?? HOUSEKEEPING_BATCH_SIZE,
        signal,
      });
      const audit = deps.audit
        ? await pruneAuditLogs(deps.audit, {
            now: deps.clock(),
            retentionMs: deps.audit.retentionMs,
            batchSize: options.batchSize ?? HOUSEKEEPING_BATCH_SIZE,
            signal,
          })
        : { entries: 0, checkpoints: 0 };
      const payloads = deps.payloads
        ? await eraseExpiredPayloads(deps.payloads, {
            now: deps.clock(),
            retentionMs: deps.payloads.retentionMs,
            batchSize: options.batchSize ?? HOUSEKEEPING_BATCH_SIZE,
            signal,
          })
        : { erased: 0 };
      const pruned = {
        ...result,
        auditEntries: audit.entries,
        auditCheckpoints: audit.checkpoints,
        erasedPayloads: payloads.erased,
      };
      if (Object.values(pruned).some((count) => count > 0)) {
        options.logger.info({ ...pruned, ms: Math.round(performance.now() - startedAt) }, 'housekeeping pruned rows');
      }
    },
  );
}
