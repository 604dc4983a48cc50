import type { Logger } from 'pino';
import { sendDriftAlerts } from '../domain/analytics/drift-alerts.js';
import { type FoldDeps, foldClosedTasks } from '../domain/analytics/fold-rollups.js';
import { utcDay } from '../domain/analytics/rollup.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/** Tasks folded per transaction: small enough that no batch holds SQLite's writer for long. */
export const ANALYTICS_BATCH_SIZE = 500;
/** See FoldRunOptions.settleMs. */
export const ANALYTICS_SETTLE_MS = 30_000;

/**
 * Folds newly closed tasks into the analytics rollups every `intervalSeconds`, then runs the drift test
 * and sends agent.drift_detected / agent.drift_cleared where an agent's drift state changed. Safe on
 * any number of processes: each batch moves the watermark compare-and-set, so a task is folded once,
 * and each drift change is a compare-and-set in the transaction that queues its webhooks.
 */
export function startAnalyticsRollups(
  deps: FoldDeps,
  options: { intervalSeconds: number; fastSecondsPerKb: number; logger: Logger },
): RepeatingJob {
  let testedDay: string | null = null;
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
      // The test only changes with new rollups or when its windows move on a day; otherwise skip the reads.
      const today = utcDay(deps.clock());
      if (signal.aborted || (folded === 0 && testedDay === today)) return;
      const { detected, cleared } = await sendDriftAlerts(deps);
      testedDay = today;
      if (detected.length + cleared.length > 0) options.logger.info({ detected, cleared }, 'agent drift changed');
    },
  );
}
