import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { type HousekeepingDeps, pruneOnce } from '../domain/housekeeping/housekeeping.js';

export interface HousekeepingJob {
  stop(): Promise<void>;
}

/** Rows per delete statement: small enough that no batch holds locks or SQLite's writer for long. */
export const HOUSEKEEPING_BATCH_SIZE = 1000;

/**
 * Runs pruneOnce every `intervalMinutes`, the first time right after start. node-cron ticks every
 * second and a run starts once the interval has passed since the previous one started: a cron minute
 * field cannot say "every 90 minutes" or "once a day from now", and a process that restarts often
 * still gets its runs. Runs never overlap in one process; across processes they may, which is safe
 * (see pruneOnce). A failed run is logged and the next one tries again.
 */
export function startHousekeeping(
  deps: HousekeepingDeps & { clock: () => number },
  options: { intervalMinutes: number; deliveryRetentionMs: number | null; logger: Logger; batchSize?: number },
): HousekeepingJob {
  const intervalMs = options.intervalMinutes * 60_000;
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  const run = async () => {
    const startedAt = performance.now();
    const result = await pruneOnce(deps, {
      now: deps.clock(),
      deliveryRetentionMs: options.deliveryRetentionMs,
      batchSize: options.batchSize ?? HOUSEKEEPING_BATCH_SIZE,
      signal: stopping.signal,
    });
    if (Object.values(result).some((count) => count > 0)) {
      options.logger.info({ ...result, ms: Math.round(performance.now() - startedAt) }, 'housekeeping pruned rows');
    }
  };
  const task: ScheduledTask = cron.schedule(
    '* * * * * *',
    async () => {
      if (running || stopping.signal.aborted || performance.now() - lastStartedAt < intervalMs) return;
      lastStartedAt = performance.now();
      running = run()
        .catch((error: unknown) => options.logger.error({ err: error }, 'housekeeping failed'))
        .finally(() => {
          running = null;
        });
      await running;
    },
    { name: 'housekeeping', noOverlap: true },
  );
  return {
    async stop() {
      stopping.abort();
      await task.stop();
      await task.destroy();
      await running;
    },
  };
}
