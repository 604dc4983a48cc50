import type { AgentRun } from './suite.js';

/**
 * The restart half of a harness's run, the same for every framework: `begin` starts the first
 * process's run; `restart()` abandons it as a dying process would (its signal aborts), checks it had
 * not simply finished, and `resume` continues from only what the framework persisted; `finished()`
 * waits for whichever run is current.
 */
export function restartableRun(
  begin: (signal: AbortSignal) => Promise<unknown>,
  resume: (signal: AbortSignal) => Promise<unknown>,
): Pick<AgentRun, 'restart' | 'finished'> {
  let abandon = new AbortController();
  let current = begin(abandon.signal);
  current.catch(() => {}); // a restart abandons it on purpose; finished() reports real failures
  return {
    async restart() {
      const abandoned = current;
      abandon.abort(new Error('agent process exiting'));
      await abandoned.then(
        () => {
          throw new Error('the run finished before it was restarted');
        },
        () => undefined,
      );
      abandon = new AbortController();
      current = resume(abandon.signal);
      current.catch(() => {});
    },
    async finished() {
      for (;;) {
        const awaited = current;
        await awaited;
        if (awaited === current) return;
      }
    },
  };
}
