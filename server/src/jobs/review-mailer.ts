import { isFinalStatus } from '@loopgate/shared';
import type { Logger } from 'pino';
import type { TaskEventBus } from '../domain/kernel/bus.js';
import { type ReviewMailDeps, sendReviewMails } from '../domain/reviewers/review-mail.js';

export interface ReviewMailer {
  /** Resolves when every mail started so far has been handled (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Listens to task changes and mails reviewers when a task is offered to them: on creation, on a
 * new approval level, on reassignment by escalation. Runs after commit, off the request path. The
 * link insert dedupes, so with Redis every process may hear a change and still only one mails.
 * A process that dies between commit and send loses that mail; the task still shows on the board.
 */
export function startReviewMailer(deps: ReviewMailDeps & { bus: TaskEventBus; logger: Logger }): ReviewMailer {
  const pending = new Set<Promise<void>>();
  let stopped = false;
  const unsubscribe = deps.bus.subscribe((message) => {
    if (stopped || isFinalStatus(message.status)) return;
    const work = sendReviewMails(deps, message.workspaceId, message.taskId)
      .then(() => undefined)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, taskId: message.taskId }, 'could not send a review e-mail'),
      )
      .finally(() => pending.delete(work));
    pending.add(work);
  });
  return {
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async stop() {
      stopped = true;
      unsubscribe();
      await this.idle();
    },
  };
}
