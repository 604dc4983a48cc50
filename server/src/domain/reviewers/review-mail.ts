import { isFinalStatus, type Role } from '@loopgate/shared';
import { can } from '../kernel/access.js';
import type { EmailMessage, Notifier } from '../kernel/notifier.js';
import { hashToken, randomToken } from '../kernel/secrets.js';
import type { CreateTaskDeps } from '../tasks/create-task.js';
import type { JsonValue, TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import type { ReviewLinkAction, ReviewLinkRecord } from './reviewer-ports.js';

/**
 * E-mail review links. Each reviewer a task is offered to gets one mail with three links (approve,
 * reject, review & modify); each link carries a random 256-bit token stored only as its hash, bound
 * to the task, its approval level, the reviewer and the action. Opening a link (GET) never decides —
 * mail scanners fetch links — the confirm form's POST does, through the same vote path as the API,
 * so quorum, levels and separation of duties apply. A link dies when used (with its two siblings),
 * at the task's deadline, when the task closes, or when the task moves on to another level.
 */

export interface ReviewMailDeps {
  store: CreateTaskDeps['store'];
  clock: () => number;
  notifier: Notifier;
  publicUrl: string;
  /** Told of every mail sent with its links (the file transport logs them, so a first run works offline). */
  onSent?: (message: EmailMessage, links: Record<ReviewLinkAction, string>) => void;
}

const ACTIONS: readonly ReviewLinkAction[] = ['approve', 'reject', 'modify'];

interface Recipient {
  userId: string;
  email: string;
}

async function recipientsOf(deps: Pick<ReviewMailDeps, 'store'>, task: TaskRecord): Promise<Recipient[]> {
  const flow = workflowOf(task);
  // Reviewers the task names by e-mail take the place of the group, as long as they are members
  // who may decide here (a link must act as someone); unknown addresses get nothing.
  const named = await deps.store.read.taskReviewers.listForTask(task.workspaceId, task.id);
  if (named.length > 0) {
    const out: Recipient[] = [];
    for (const email of named) {
      const user = await deps.store.read.users.findByEmail(email);
      const membership = user ? await deps.store.read.users.findMembership(task.workspaceId, user.id) : null;
      if (
        !user ||
        !membership ||
        (membership.deactivatedAt ?? null) !== null ||
        !can(membership.role as Role, 'task:decide')
      )
        continue;
      if (flow.claimed && flow.assignee && flow.assignee.id !== user.id) continue;
      out.push({ userId: user.id, email: user.email });
    }
    return out;
  }
  const group = flow.assignedGroup
    ? await deps.store.read.reviewerGroups.findByName(task.workspaceId, flow.assignedGroup)
    : null;
  const out = new Map<string, Recipient>();
  for (const member of group?.members ?? []) {
    if (member.type !== 'user' || !member.email) continue;
    // A claimed task is the claimer's alone.
    if (flow.claimed && flow.assignee && flow.assignee.id !== member.id) continue;
    out.set(member.id, { userId: member.id, email: member.email });
  }
  if (out.size === 0 && flow.assignee?.type === 'user' && flow.assignee.id) {
    const user = await deps.store.read.users.findById(flow.assignee.id);
    if (user) out.set(user.id, { userId: user.id, email: user.email });
  }
  return [...out.values()];
}

/**
 * Mails every reviewer the task is currently offered to, once per task, level and reviewer: the
 * link insert is the claim (a unique key), so any number of processes hearing of the same change
 * send one mail. Returns how many mails this call sent.
 */
export async function sendReviewMails(deps: ReviewMailDeps, workspaceId: string, taskId: string): Promise<number> {
  const task = await deps.store.read.tasks.findById(workspaceId, taskId);
  if (!task || isFinalStatus(task.status)) return 0;
  const level = workflowOf(task).level;
  let sent = 0;
  for (const recipient of await recipientsOf(deps, task)) {
    const now = deps.clock();
    const tokens = {} as Record<ReviewLinkAction, string>;
    const won = await deps.store.transaction(async (tx) => {
      for (const action of ACTIONS) {
        const token = randomToken();
        tokens[action] = token;
        const link: ReviewLinkRecord = {
          tokenHash: hashToken(token),
          workspaceId,
          taskId,
          level,
          userId: recipient.userId,
          email: recipient.email,
          action,
          expiresAt: task.dueAt,
          usedAt: null,
          createdAt: now,
        };
        if (!(await tx.reviewLinks.insert(link))) return false;
      }
      return true;
    });
    if (!won) continue;
    const base = deps.publicUrl.replace(/\/+$/, '');
    const links = {
      approve: `${base}/review/${tokens.approve}`,
      reject: `${base}/review/${tokens.reject}`,
      modify: `${base}/review/${tokens.modify}`,
    };
    const message = reviewMail(task, recipient.email, links);
    await deps.notifier.send(message);
    deps.onSent?.(message, links);
    sent++;
  }
  return sent;
}

/** Control characters out (they could fake headers or lines in some clients), then cut to `max`. */
export function plainSnippet(value: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = value.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function payloadSummary(payload: JsonValue, max = 600): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2);
  return plainSnippet(text, max);
}

/**
 * The mail is plain text only: agent-written content cannot run script, load remote images or
 * hide a link behind other words in plain text, whatever the agent put in it.
 */
export function reviewMail(task: TaskRecord, to: string, links: Record<ReviewLinkAction, string>): EmailMessage {
  const title = plainSnippet(task.title, 150).replace(/\s+/g, ' ');
  const lines = [
    `A task needs your review: ${title}`,
    '',
    `Queue:      ${plainSnippet(task.queue, 64)}`,
    `Risk:       ${task.riskLevel ?? 'not given'}`,
    `Confidence: ${task.confidence === null ? 'not given' : `${Math.round(task.confidence * 100)} %`}`,
    `Deadline:   ${task.dueAt === null ? 'none' : new Date(task.dueAt).toISOString()}`,
    `Why:        ${plainSnippet(workflowOf(task).routingReason ?? 'routed to a human by the queue policy', 300)}`,
    '',
    'Payload (shortened):',
    payloadSummary(task.payload)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
    '',
    `Approve:           ${links.approve}`,
    `Reject:            ${links.reject}`,
    `Review & modify:   ${links.modify}`,
    '',
    'Each link asks you to confirm before anything is decided, works once, and stops working when',
    'the task is decided or its deadline passes. Do not forward this mail: the links act as you.',
  ];
  return { to: [to], subject: `[Loopgate] Review: ${title}`, text: `${lines.join('\n')}\n` };
}
