import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface RepeatingJob {
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, the first time at the first tick after start. node-cron ticks every
 * second and a run starts once the interval has passed since the previous one started: a cron seconds
 * field (`*\/N`) only divides a minute (N ≤ 59, and 7 s runs at :00 :07 … :56 then :00 again), while
 * this spaces runs evenly for any whole number of seconds. Runs never overlap in one process; a run
 * that throws is logged and the next one tries again. `stop()` waits for a run in progress, whose
 * `signal` is aborted so it can end early.
 */
export function runEvery(
  options: { name: string; intervalMs: number; logger: Logger; failure: string },
  run: (signal: AbortSignal) => Promise<void>,
): RepeatingJob {
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  const task: ScheduledTask = cron.schedule(
    '* * * * * *',
    async () => {
      if (running || stopping.signal.aborted || performance.now() - lastStartedAt < options.intervalMs) return;
      lastStartedAt = performance.now();
      running = run(stopping.signal)
        .catch((error: unknown) => options.logger.error({ err: error }, options.failure))
        .finally(() => {
          running = null;
        });
      await running;
    },
    { name: options.name, noOverlap: true },
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
