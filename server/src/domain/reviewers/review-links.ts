import { type DecisionInput, isFinalStatus } from '@loopgate/shared';
import { decideTask } from '../approvals/vote.js';
import type { Principal } from '../kernel/access.js';
import { can } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { hashToken } from '../kernel/secrets.js';
import type { CreateTaskDeps } from '../tasks/create-task.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { allowsExternalReviewer, guestActor, isGuestLinkKey } from './external-reviewers.js';
import { memberPrincipal } from './member-principal.js';
import type { ReviewLinkRecord } from './reviewer-ports.js';

export interface OpenedReviewLink {
  link: ReviewLinkRecord;
  task: TaskRecord;
  principal: Principal;
  /** The link is an external reviewer's: it acts as `guest:<address>` on this one task, and nowhere else. */
  guest: boolean;
}

const INVALID = 'This review link is not valid. It may have been mistyped or cut off.';

/** Reads a link without using it (the GET page): says plainly why a link no longer works. */
export async function openReviewLink(
  deps: Pick<CreateTaskDeps, 'store' | 'clock'>,
  token: string,
): Promise<OpenedReviewLink> {
  if (!/^[\w-]{20,100}$/.test(token)) throw new AppError('review_link_invalid', INVALID);
  const link = await deps.store.read.reviewLinks.findByHash(hashToken(token));
  if (!link) throw new AppError('review_link_invalid', INVALID);
  if (link.usedAt !== null) {
    throw new AppError('review_link_invalid', 'This review link has already been used. Each link works once.');
  }
  const task = await deps.store.read.tasks.findById(link.workspaceId, link.taskId);
  if (!task) throw new AppError('review_link_invalid', INVALID);
  if (isFinalStatus(task.status)) {
    throw new AppError(
      'review_link_invalid',
      `This task has already been decided (${task.status.replace(/_/g, ' ')}).`,
    );
  }
  if (link.expiresAt !== null && link.expiresAt <= deps.clock()) {
    throw new AppError('review_link_invalid', 'This review link has expired: the task passed its deadline.');
  }
  if (workflowOf(task).level !== link.level) {
    throw new AppError(
      'review_link_invalid',
      'This task has moved on to another approval step; this link no longer applies.',
    );
  }
  if (isGuestLinkKey(link.userId)) return { link, task, principal: await guestPrincipal(deps, link), guest: true };
  const member = await memberPrincipal(deps.store.read, link.workspaceId, link.userId);
  if (!member || !can(member.principal.role, 'task:decide')) {
    throw new AppError('review_link_invalid', NO_LONGER);
  }
  return { link, task, principal: member.principal, guest: false };
}

const NO_LONGER = 'This review link belongs to someone who may no longer review here.';

/**
 * An external reviewer's link acts as them while the workspace still allows their address and the
 * task still names them. The principal exists only for this link's decision: it is never put in a
 * session, and the role it carries is what lets the vote path count the vote — whether it counts at
 * the task's level is `allowGuests`' call (workflow.voteRefusal). The ledger records no role for it.
 */
async function guestPrincipal(deps: Pick<CreateTaskDeps, 'store'>, link: ReviewLinkRecord): Promise<Principal> {
  const [allow, named] = await Promise.all([
    deps.store.read.workspaces.findExternalReviewers(link.workspaceId),
    deps.store.read.taskReviewers.listForTask(link.workspaceId, link.taskId),
  ]);
  const address = link.email.toLowerCase();
  if (!allowsExternalReviewer(allow, address) || !named.some((email) => email.toLowerCase() === address)) {
    throw new AppError('review_link_invalid', NO_LONGER);
  }
  return { workspaceId: link.workspaceId, role: 'reviewer', actor: guestActor(address) };
}

/** An Approve link approves and a Reject link rejects; a Review & modify link may do either, or modify. */
export function linkAllows(link: Pick<ReviewLinkRecord, 'action'>, action: string): boolean {
  return link.action === 'modify'
    ? ['approve', 'reject', 'approve_with_modifications'].includes(action)
    : link.action === action;
}

/**
 * The POST behind a link: uses the link (compare-and-set, so two clicks decide once), then votes
 * as the link's reviewer. If the vote fails for a reason that may pass (e.g. a transient error),
 * the link is given back; if the task is decided or the reviewer has voted, it stays used.
 */
export async function decideByReviewLink(
  deps: CreateTaskDeps,
  token: string,
  input: DecisionInput,
): Promise<TaskRecord> {
  const opened = await openReviewLink(deps, token);
  const { link, principal } = opened;
  if (!linkAllows(link, input.action)) {
    throw new AppError('forbidden', `This link can only ${link.action}; use the review link to do something else.`);
  }
  const now = deps.clock();
  const used = await deps.store.transaction((tx) => tx.reviewLinks.use(link, now));
  if (!used) throw new AppError('review_link_invalid', 'This review link has already been used. Each link works once.');
  try {
    return await decideTask(deps, principal, link.taskId, input);
  } catch (error) {
    const final = error instanceof AppError && ['task_already_decided', 'already_voted'].includes(error.code);
    if (!final) await deps.store.transaction((tx) => tx.reviewLinks.release(link, now));
    throw error;
  }
}
