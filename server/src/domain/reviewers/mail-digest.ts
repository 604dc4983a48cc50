import { isFinalStatus } from '@loopgate/shared';
import type { EmailMessage } from '../kernel/notifier.js';
import { hashToken, randomToken } from '../kernel/secrets.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { mailPreferences } from './mail-settings.js';
import { humanTime, linkUrls, plainSnippet, type ReviewMailDeps } from './review-mail.js';
import type { ReviewLinkAction } from './reviewer-ports.js';

const ACTIONS: readonly ReviewLinkAction[] = ['approve', 'reject', 'modify'];

/** One task in a digest, with the reviewer's three links. */
interface DigestEntry {
  task: TaskRecord;
  links: Record<ReviewLinkAction, string>;
}

/**
 * Sends every digest due at `now`: for each user with an item due, one mail with every task waiting
 * for them (items not due yet go along: a digest empties the queue), one link set per task. A task
 * that closed, or moved on a level, since it was queued is left out. Each item is removed by a
 * compare-and-set before its links are reissued, so two processes never mail the same item; items
 * live in the database, so a restart loses none. Returns how many digests went out.
 */
export async function sendDueDigests(deps: ReviewMailDeps, options: { limit?: number } = {}): Promise<number> {
  const now = deps.clock();
  let digests = 0;
  for (const userId of await deps.store.read.mailDigest.usersDue(now, options.limit ?? 200)) {
    const items = await deps.store.read.mailDigest.listForUser(userId);
    const entries: DigestEntry[] = [];
    let email: string | null = null;
    let workspaceId: string | null = null;
    for (const item of items) {
      const task = await deps.store.read.tasks.findById(item.workspaceId, item.taskId);
      const won = await deps.store.transaction((tx) => tx.mailDigest.remove(item));
      if (!won || !task || isFinalStatus(task.status) || workflowOf(task).level !== item.level) continue;
      const tokens = {} as Record<ReviewLinkAction, string>;
      const live = await deps.store.transaction(async (tx) => {
        for (const action of ACTIONS) {
          tokens[action] = randomToken();
          const reissued = await tx.reviewLinks.reissue({
            tokenHash: hashToken(tokens[action]),
            taskId: item.taskId,
            level: item.level,
            userId,
            action,
          });
          if (!reissued) return false;
        }
        return true;
      });
      if (!live) continue;
      email = item.email;
      workspaceId = item.workspaceId;
      entries.push({ task, links: linkUrls(deps.publicUrl, tokens) });
    }
    if (entries.length === 0 || !email || !workspaceId) continue;
    const { timeZone } = await mailPreferences(deps.store.read, workspaceId, userId);
    const message = digestMail(email, entries, timeZone);
    await deps.notifier.send(message);
    digests++;
  }
  return digests;
}

/** Text only, one block per task (title, queue, risk, due, links) and no payload: digests stay short. */
function digestMail(to: string, entries: DigestEntry[], timeZone: string): EmailMessage {
  const lines = [`${entries.length === 1 ? 'A task needs' : `${entries.length} tasks need`} your review.`, ''];
  for (const [index, { task, links }] of entries.entries()) {
    lines.push(
      `${index + 1}. ${plainSnippet(task.title, 150).replace(/\s+/g, ' ')}`,
      `   Queue: ${plainSnippet(task.queue, 64)} · Risk: ${task.riskLevel ?? 'not given'} · Due: ${
        task.dueAt === null ? 'no deadline' : humanTime(task.dueAt, timeZone)
      }`,
      `   Approve:           ${links.approve}`,
      `   Reject:            ${links.reject}`,
      `   Review & modify:   ${links.modify}`,
      '',
    );
  }
  lines.push(
    'Each link asks you to confirm before anything is decided and works once; it stops working when the',
    'task is decided or moves on. Do not forward this mail: the links act as you.',
    'You get this digest because of your notification setting or your hourly mail limit (Account page).',
  );
  return {
    to: [to],
    subject: `[Loopgate] Digest: ${entries.length} ${entries.length === 1 ? 'task needs' : 'tasks need'} your review`,
    text: `${lines.join('\n')}\n`,
  };
}
