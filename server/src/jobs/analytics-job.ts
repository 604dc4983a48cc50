import type { Logger } from 'pino';
import { type FoldDeps, foldClosedTasks } from '../domain/analytics/fold-rollups.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/** Tasks folded per transaction: small enough that no batch holds SQLite's writer for long. */
export const ANALYTICS_BATCH_SIZE = 500;
/** See FoldRunOptions.settleMs. */
export const ANALYTICS_SETTLE_MS = 30_000;

/**
 * Folds newly closed tasks into the analytics rollups every `intervalSeconds`. Safe on any number of
 * processes: each batch moves the watermark compare-and-set, so a task is folded once.
 */
export function startAnalyticsRollups(
  deps: FoldDeps,
  options: { intervalSeconds: number; fastSecondsPerKb: number; logger: Logger },
): RepeatingJob {
  return runEvery(
    {
      name: 'analytics-rollups',
      intervalMs: options.intervalSeconds * 1000,
      logger: options.logger,
      failure: 'analytics rollup failed',
    },
    async (signal) => {
      const folded = await foldClosedTasks(deps, {
        batchSize: ANALYTICS_BATCH_SIZE,
        settleMs: ANALYTICS_SETTLE_MS,
        fastSecondsPerKb: options.fastSecondsPerKb,
        signal,
      });
      if (folded > 0) options.logger.debug({ folded }, 'analytics rollups folded tasks');
    },
  );
}
