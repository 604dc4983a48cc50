import { isFinalStatus, type QueueConfig, type Role } from '@loopgate/shared';
import { maskDocument } from '../approvals/classification.js';
import { resolveQueue } from '../approvals/queue-config.js';
import { levelOf } from '../approvals/workflow.js';
import { can } from '../kernel/access.js';
import type { EmailMessage, Notifier } from '../kernel/notifier.js';
import { hashToken, randomToken } from '../kernel/secrets.js';
import type { CreateTaskDeps } from '../tasks/create-task.js';
import type { JsonValue, TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { allowsExternalReviewer, guestLinkKey } from './external-reviewers.js';
import { isTimeZone, mailPreferences } from './mail-settings.js';
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
  /** Renders the HTML part of review mail (web/kit); without it review mail is plain text only. */
  renderHtml?: (view: ReviewMailView) => string;
  /** Told of every mail sent with its links (the file transport logs them, so a first run works offline). */
  onSent?: (message: EmailMessage, links: Record<ReviewLinkAction, string>) => void;
}

const ACTIONS: readonly ReviewLinkAction[] = ['approve', 'reject', 'modify'];

interface Recipient {
  userId: string;
  email: string;
  /** An external reviewer: no account, so no mail settings or digest; `userId` is their link key. */
  guest?: boolean;
}

async function recipientsOf(
  deps: Pick<ReviewMailDeps, 'store'>,
  task: TaskRecord,
  config: QueueConfig,
): Promise<Recipient[]> {
  const flow = workflowOf(task);
  // Reviewers the task names by e-mail take the place of the group: members who may decide here (a
  // link must act as someone), and guests the allowlist still names, at levels that take guests.
  const named = await deps.store.read.taskReviewers.listForTask(task.workspaceId, task.id);
  if (named.length > 0) {
    const out: Recipient[] = [];
    const guestsHere = levelOf(config, flow.level).allowGuests === true;
    let allGuests = true;
    let allow: string[] | null = null;
    for (const email of named) {
      const user = await deps.store.read.users.findByEmail(email);
      const membership = user ? await deps.store.read.users.findMembership(task.workspaceId, user.id) : null;
      if (!user || !membership) {
        allow ??= await deps.store.read.workspaces.findExternalReviewers(task.workspaceId);
        if (!guestsHere || !allowsExternalReviewer(allow, email)) continue;
        const address = email.trim().toLowerCase();
        if (flow.claimed && flow.assignee && flow.assignee.id !== address) continue;
        out.push({ userId: guestLinkKey(address), email: address, guest: true });
        continue;
      }
      allGuests = false;
      if ((membership.deactivatedAt ?? null) !== null || !can(membership.role as Role, 'task:decide')) continue;
      if (flow.claimed && flow.assignee && flow.assignee.id !== user.id) continue;
      out.push({ userId: user.id, email: user.email });
    }
    // A level that takes no guests, on a task that names only guests, is the queue's group's to decide.
    if (!(allGuests && !guestsHere)) return out;
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

/** Thrown inside the link transaction to roll back a half-claimed set (another process holds the rest). */
class LinkSetTaken extends Error {}

/**
 * A link made before the deadline ends at it; one made at or after it (an escalation that reassigns
 * the task at its deadline, a reminder after it) lives as long as the task is open at this level —
 * otherwise the reviewer the task was just handed to would get a link that is dead on arrival.
 */
export function linkExpiry(task: Pick<TaskRecord, 'dueAt'>, now: number): number | null {
  return task.dueAt !== null && task.dueAt > now ? task.dueAt : null;
}

/**
 * Claims one reviewer's three links for this task and level: inserts them (the unique key is the
 * claim), or, when this reviewer's earlier links expired unused, renews them (a compare-and-set).
 * Null when the reviewer already holds live links, has used them, or another process won.
 */
async function claimLinks(
  deps: Pick<ReviewMailDeps, 'store'>,
  task: TaskRecord,
  level: number,
  recipient: Recipient,
  now: number,
): Promise<Record<ReviewLinkAction, string> | null> {
  const tokens = {} as Record<ReviewLinkAction, string>;
  try {
    await deps.store.transaction(async (tx) => {
      let renewing = false;
      for (const [index, action] of ACTIONS.entries()) {
        const token = randomToken();
        tokens[action] = token;
        const link: ReviewLinkRecord = {
          tokenHash: hashToken(token),
          workspaceId: task.workspaceId,
          taskId: task.id,
          level,
          userId: recipient.userId,
          email: recipient.email,
          action,
          expiresAt: linkExpiry(task, now),
          usedAt: null,
          createdAt: now,
        };
        if (!renewing && (await tx.reviewLinks.insert(link))) continue;
        // The first action decides which way the set goes; a mixed outcome means someone else is at it.
        if (index === 0) renewing = true;
        if (!renewing || !(await tx.reviewLinks.renewExpired(link, now))) throw new LinkSetTaken();
      }
    });
  } catch (error) {
    if (error instanceof LinkSetTaken) return null;
    throw error;
  }
  return tokens;
}

export interface ReviewLinkOffer {
  /** Mails this call sent. */
  sent: number;
  /**
   * Whom this call mailed links (lower case) — with `since`, also whom another process mailed links
   * at or after it (the review mailer hearing of the same change races this call; one of them wins).
   */
  mailed: string[];
  /**
   * Everyone the task is offered to by review mail (lower case): they now hold live links (from this
   * call or an earlier one) or have used theirs, so a reminder or escalation notice leaves them out.
   */
  covered: string[];
}

/**
 * Mails every reviewer the task is currently offered to, once per task, level and reviewer — and
 * once more only when their links expired unused (the task is still open after its deadline). The
 * link insert or renewal is the claim, so any number of processes hearing of the same change send
 * one mail.
 */
export async function offerReviewLinks(
  deps: ReviewMailDeps,
  workspaceId: string,
  taskId: string,
  options: { since?: number } = {},
): Promise<ReviewLinkOffer> {
  const task = await deps.store.read.tasks.findById(workspaceId, taskId);
  if (!task || isFinalStatus(task.status)) return { sent: 0, mailed: [], covered: [] };
  const level = workflowOf(task).level;
  const { config } = await resolveQueue(deps.store.read, workspaceId, task.queue);
  const { mailPayload } = config;
  const recipients = await recipientsOf(deps, task, config);
  const mailed: string[] = [];
  let sent = 0;
  for (const recipient of recipients) {
    const now = deps.clock();
    const tokens = await claimLinks(deps, task, level, recipient, now);
    if (!tokens) continue;
    // A guest has no account: no settings of their own, no digest or hourly cap (they get one task's mail).
    const prefs = recipient.guest
      ? {
          timeZone: guestTimeZone(await deps.store.read.workspaces.findTimeZone(workspaceId)),
          mailMode: 'each' as const,
          mailsPerHour: Number.POSITIVE_INFINITY,
        }
      : await mailPreferences(deps.store.read, workspaceId, recipient.userId);
    // A digest reader, or anyone at their hourly cap, gets the task in their next digest instead.
    const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
    const capped =
      !recipient.guest &&
      prefs.mailMode === 'each' &&
      !(await deps.store.transaction((tx) =>
        tx.mailDigest.claimSendSlot(recipient.userId, hourStart, prefs.mailsPerHour, now),
      ));
    if (prefs.mailMode !== 'each' || capped) {
      await deps.store.transaction((tx) =>
        tx.mailDigest.add({
          userId: recipient.userId,
          taskId: task.id,
          level,
          workspaceId,
          email: recipient.email,
          dueAt: digestDueAt(prefs.mailMode === 'daily' && !capped ? 'daily' : 'hourly', now, prefs.timeZone),
          createdAt: now,
        }),
      );
      // Mailed, in their digest: no escalation notice on top.
      mailed.push(recipient.email.toLowerCase());
      continue;
    }
    const links = linkUrls(deps.publicUrl, tokens);
    const message = reviewMail(task, recipient.email, links, now, {
      mailPayload,
      timeZone: prefs.timeZone,
      renderHtml: deps.renderHtml,
    });
    await deps.notifier.send(message);
    deps.onSent?.(message, links);
    mailed.push(recipient.email.toLowerCase());
    sent++;
  }
  if (options.since !== undefined) {
    // A claim another process holds has committed by now (the insert or renewal above waited for it).
    const fresh = new Set(await deps.store.read.reviewLinks.usersMailedSince(task.id, level, options.since));
    for (const r of recipients) if (fresh.has(r.userId)) mailed.push(r.email.toLowerCase());
  }
  return { sent, mailed: [...new Set(mailed)], covered: recipients.map((r) => r.email.toLowerCase()) };
}

export const HOUR_MS = 3_600_000;

function guestTimeZone(zone: string | null): string {
  return zone !== null && isTimeZone(zone) ? zone : 'UTC';
}

/** The three link addresses for three tokens. */
export function linkUrls(
  publicUrl: string,
  tokens: Record<ReviewLinkAction, string>,
): Record<ReviewLinkAction, string> {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    approve: `${base}/review/${tokens.approve}`,
    reject: `${base}/review/${tokens.reject}`,
    modify: `${base}/review/${tokens.modify}`,
  };
}

/** The local hour (0–23) and minute of `ms` in `timeZone`. */
function localClock(ms: number, timeZone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { hour: get('hour'), minute: get('minute') };
}

/**
 * When a digest for an item queued at `now` goes out: hourly at the next full hour; daily at the next
 * 08:00 in the user's time zone (searched in quarter hours, which every real offset falls on).
 */
export function digestDueAt(mode: 'hourly' | 'daily', now: number, timeZone: string): number {
  const QUARTER = 15 * 60_000;
  if (mode === 'hourly') return Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  let at = Math.floor(now / QUARTER) * QUARTER + QUARTER;
  for (let i = 0; i < 4 * 26; i++, at += QUARTER) {
    const local = localClock(at, timeZone);
    if (local.hour === 8 && local.minute === 0) return at;
  }
  return now + 24 * HOUR_MS;
}

/** `offerReviewLinks`, counting the mails sent. */
export async function sendReviewMails(deps: ReviewMailDeps, workspaceId: string, taskId: string): Promise<number> {
  return (await offerReviewLinks(deps, workspaceId, taskId)).sent;
}

/** Why this mail: an escalated task, one past its deadline, or a new one to review. */
function subjectLead(task: TaskRecord, now: number): string {
  if (workflowOf(task).escalated) return 'Escalated to you';
  if (task.dueAt !== null && task.dueAt <= now) return 'Overdue, still needs review';
  return 'Review';
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
 * Text a mail client cannot turn into a link: a zero-width space after every `:` before `//`, before
 * every `@` and after every `www`, which defeats the linkifiers of common clients (they match
 * `scheme://`, `www.` and `name@host`). The words read the same; only a link cannot be made of them.
 */
export function unlinkable(text: string): string {
  return text
    .replace(/:\/\//g, ':\u200b//')
    .replace(/@/g, '\u200b@')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\u200b.`);
}

/** A time as a reviewer reads it, in their time zone: "Tue 1 Dec 2026, 14:05 CET". */
export function humanTime(ms: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}, ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

/** How much of the payload a queue lets into mail (queue setting `mailPayload`). */
export type MailPayloadMode = 'full' | 'summary' | 'none';

/**
 * What a review mail shows, every string as plain text: the HTML part (templates/mail/review.eta)
 * escapes each one where it is written, and the text part is built from the same fields.
 */
export interface ReviewMailView {
  /** "Review", "Escalated to you" or "Overdue, still needs review". */
  lead: string;
  title: string;
  queue: string;
  risk: string;
  confidence: string;
  due: string;
  why: string;
  links: Record<ReviewLinkAction, string>;
  payload: { mode: 'full'; text: string } | { mode: 'summary'; keys: string[] } | { mode: 'none' };
  /** When the links stop working. */
  linkNote: string;
}

export interface ReviewMailOptions {
  mailPayload?: MailPayloadMode;
  /** IANA name; times in the mail are shown in it. */
  timeZone?: string;
  /** Renders the HTML part (the web kit's mail template); without it the mail is text only. */
  renderHtml?: (view: ReviewMailView) => string;
}

export function reviewMailView(
  task: TaskRecord,
  links: Record<ReviewLinkAction, string>,
  now: number,
  options: Pick<ReviewMailOptions, 'mailPayload' | 'timeZone'> = {},
): ReviewMailView {
  // A scan that stopped at a cap may have missed a value to mask: then mail shows field names only.
  const wanted = options.mailPayload ?? 'full';
  const mode = wanted === 'full' && task.classification?.truncated ? 'summary' : wanted;
  const payload: ReviewMailView['payload'] =
    mode === 'none'
      ? { mode }
      : mode === 'summary'
        ? {
            mode,
            keys:
              task.payload !== null && typeof task.payload === 'object' && !Array.isArray(task.payload)
                ? Object.keys(task.payload)
                    .slice(0, 30)
                    .map((key) => plainSnippet(key, 64))
                : [],
          }
        : // Values the queue's detectors found are masked: mail leaves the app; reviewers see them there.
          { mode, text: payloadSummary(maskDocument(task.payload, 'payload', task.classification)) };
  return {
    lead: subjectLead(task, now),
    title: plainSnippet(task.title, 150).replace(/\s+/g, ' '),
    queue: plainSnippet(task.queue, 64),
    risk: task.riskLevel ?? 'not given',
    confidence: task.confidence === null ? 'not given' : `${Math.round(task.confidence * 100)} %`,
    due: task.dueAt === null ? 'no deadline' : humanTime(task.dueAt, options.timeZone),
    why: plainSnippet(workflowOf(task).routingReason ?? 'routed to a human by the queue policy', 300),
    links,
    payload,
    linkNote:
      linkExpiry(task, now) === null
        ? 'They stop working when the task is decided or moves on to another step.'
        : 'They stop working when the task is decided or its deadline passes.',
  };
}

function payloadLines(payload: ReviewMailView['payload']): string[] {
  switch (payload.mode) {
    case 'full':
      return ['Payload (shortened):', ...payload.text.split('\n').map((line) => `  ${line}`)];
    case 'summary':
      return [`Payload fields: ${payload.keys.length > 0 ? payload.keys.join(', ') : '(none)'}`];
    case 'none':
      return ['The payload is not included in mail for this queue; open a link to see it.'];
  }
}

/**
 * The mail: a plain-text part (agent-written content cannot run script, load remote images or hide
 * a link behind other words in plain text) and, given `renderHtml`, an HTML part with the same
 * content, each agent-written string escaped by the template and kept from being made a link.
 */
export function reviewMail(
  task: TaskRecord,
  to: string,
  links: Record<ReviewLinkAction, string>,
  now: number,
  options: ReviewMailOptions = {},
): EmailMessage {
  const view = reviewMailView(task, links, now, options);
  const lines = [
    `A task needs your review: ${view.title}`,
    '',
    `Queue:      ${view.queue}`,
    `Risk:       ${view.risk}`,
    `Confidence: ${view.confidence}`,
    `Deadline:   ${view.due}`,
    `Why:        ${view.why}`,
    '',
    ...payloadLines(view.payload),
    '',
    `Approve:           ${links.approve}`,
    `Reject:            ${links.reject}`,
    `Review & modify:   ${links.modify}`,
    '',
    `Each link asks you to confirm before anything is decided and works once. ${view.linkNote}`,
    'Do not forward this mail: the links act as you.',
  ];
  return {
    to: [to],
    subject: `[Loopgate] ${view.lead}: ${view.title}`,
    text: `${lines.join('\n')}\n`,
    ...(options.renderHtml ? { html: options.renderHtml(view) } : {}),
  };
}
