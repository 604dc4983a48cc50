import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { type SweeperDeps, sweepOnce } from '../domain/approvals/sla-sweeper.js';

export interface SlaSweeperJob {
  stop(): Promise<void>;
}

/**
 * Runs the SLA sweep on node-cron every `intervalSeconds`. Runs never overlap in one process; across
 * processes they may, which is safe because every step is a compare-and-set (see sweepOnce). A sweep
 * that finds a full batch goes again at once rather than waiting for the next tick, so a burst of
 * breaches drains at database speed.
 */
export function startSlaSweeper(
  deps: SweeperDeps,
  options: { intervalSeconds: number; batchSize: number; logger: Logger },
): SlaSweeperJob {
  let running: Promise<void> | null = null;
  let stopped = false;
  const run = async () => {
    for (let round = 0; round < 100 && !stopped; round++) {
      const result = await sweepOnce(deps, { limit: options.batchSize });
      if (result.applied > 0 || result.lost > 0) options.logger.info({ ...result }, 'SLA sweep');
      if (result.due < options.batchSize) break;
    }
  };
  const task: ScheduledTask = cron.schedule(
    `*/${options.intervalSeconds} * * * * *`,
    async () => {
      if (running || stopped) return;
      running = run()
        .catch((error: unknown) => options.logger.error({ err: error }, 'SLA sweep failed'))
        .finally(() => {
          running = null;
        });
      await running;
    },
    { name: 'sla-sweeper', noOverlap: true },
  );
  return {
    async stop() {
      stopped = true;
      await task.stop();
      await task.destroy();
      await running;
    },
  };
}
