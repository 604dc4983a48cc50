import type { Logger } from 'pino';
import { sendDueDigests } from '../domain/reviewers/mail-digest.js';
import type { ReviewMailDeps } from '../domain/reviewers/review-mail.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/**
 * Sends due review-mail digests every minute. Digest items live in the database and each is removed
 * by a compare-and-set before it is mailed, so any number of processes may run this and a restart
 * loses nothing (a digest due while every process was down goes out at the next run).
 */
export function startMailDigests(
  deps: ReviewMailDeps,
  options: { intervalSeconds?: number; logger: Logger },
): RepeatingJob {
  return runEvery(
    {
      name: 'mail-digests',
      intervalMs: (options.intervalSeconds ?? 60) * 1000,
      logger: options.logger,
      failure: 'sending review-mail digests failed',
    },
    async () => {
      const sent = await sendDueDigests(deps);
      if (sent > 0) options.logger.info({ digests: sent }, 'review-mail digests sent');
    },
  );
}
