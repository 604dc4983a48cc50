import type { Logger } from 'pino';
import { type SweeperDeps, sweepOnce } from '../domain/approvals/sla-sweeper.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/**
 * Runs the SLA sweep every `intervalSeconds`. Runs never overlap in one process; across processes
 * they may, which is safe because every step is a compare-and-set (see sweepOnce). A sweep that finds
 * a full batch goes again at once rather than waiting for the next run, so a burst of breaches drains
 * at database speed.
 */
export function startSlaSweeper(
  deps: SweeperDeps,
  options: { intervalSeconds: number; batchSize: number; logger: Logger },
): RepeatingJob {
  return runEvery(
    {
      name: 'sla-sweeper',
      intervalMs: options.intervalSeconds * 1000,
      logger: options.logger,
      failure: 'SLA sweep failed',
    },
    async (signal) => {
      for (let round = 0; round < 100 && !signal.aborted; round++) {
        const result = await sweepOnce(deps, { limit: options.batchSize });
        if (result.applied > 0 || result.lost > 0) options.logger.info({ ...result }, 'SLA sweep');
        if (result.due < options.batchSize) break;
      }
    },
  );
}
