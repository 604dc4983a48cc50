import { createHmac, timingSafeEqual } from 'node:crypto';
import { decideTask } from '../approvals/vote.js';
import { AppError } from '../kernel/errors.js';
import { type AttemptLimiter, addressBucket, attemptsRefused, BUDGETS } from '../reviewers/login-limits.js';
import { memberPrincipal } from '../reviewers/member-principal.js';
import type { CreateTaskDeps } from '../tasks/create-task.js';
import { escapeMrkdwn } from './slack-message.js';

// ——— Interactions ———

/** Slack's request signing: `v0=` + hex HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the app's signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SlackInteractionRequest {
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
  clientAddress: string;
}

export interface SlackInteractionDeps extends CreateTaskDeps {
  publicUrl: string;
  /** POSTs the message update to Slack's response_url. */
  respond: (workspaceId: string, url: string, message: object) => Promise<void>;
  limiter: AttemptLimiter;
}

interface BlockActionPayload {
  type?: string;
  user?: { id?: unknown; username?: string; name?: string };
  response_url?: string;
  actions?: { action_id?: string; value?: string }[];
}

export type SlackInteractionOutcome = 'decided' | 'already_decided' | 'forbidden' | 'unmapped_user' | 'ignored';

/** Why a request was refused before anything in it was trusted. */
export const SLACK_REFUSAL_REASONS = [
  'malformed_body',
  'unknown_integration',
  'stale_timestamp',
  'bad_signature',
] as const;

export type SlackRefusalReason = (typeof SLACK_REFUSAL_REASONS)[number];

/** Refusals are counted per hour; the first few of each hour (per workspace and reason) are kept as audit samples. */
export const REFUSAL_WINDOW_MS = 60 * 60 * 1000;

export const REFUSAL_SAMPLES_PER_WINDOW = 3;

/**
 * At most EXCERPT_LENGTH code points of untrusted text, quoted, with everything but letters, digits and
 * a few harmless marks (Slack ids are letters and digits) written as \u{…}: a sample then carries no
 * markup, quotes, control characters or direction overrides, whatever page, terminal or sheet shows it.
 */
/** Code points of attacker-written text a sample keeps. */
const EXCERPT_LENGTH = 32;

const REFUSAL_WORDS: Record<SlackRefusalReason, string> = {
  malformed_body: 'no JSON payload field',
  unknown_integration: 'unknown integration',
  stale_timestamp: 'stale or missing timestamp',
  bad_signature: 'missing or wrong signature',
};

export function excerpt(text: unknown): string {
  if (typeof text !== 'string') return text === undefined ? '(none)' : `(not text: ${typeof text})`;
  const points = Array.from(text.slice(0, EXCERPT_LENGTH * 2)).slice(0, EXCERPT_LENGTH);
  const escaped = points.join('').replace(/[^\w .:@+/-]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  return `"${escaped}"${points.join('').length < text.length ? '…' : ''}`;
}

/** The `payload` form field as a JSON object, or null when there is none or it is anything else. */
function parsePayload(rawBody: string): BlockActionPayload | null {
  try {
    const parsed: unknown = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as BlockActionPayload)
      : null;
  } catch {
    return null;
  }
}

/**
 * A refused request spends its client address's budget; past the budget it is answered 429 and not
 * even counted, so a flood costs no writes. Within it, the refusal is counted in its hour and kept as
 * an audit entry only if it is among the first few: these requests need no secret to send, so one row
 * each would let anyone fill the table.
 */
async function refuse(
  deps: SlackInteractionDeps,
  request: SlackInteractionRequest,
  workspaceId: string | null,
  reason: SlackRefusalReason,
  claimedUser: unknown,
): Promise<void> {
  const verdict = await deps.limiter.take([
    { budget: BUDGETS.slackRefusalsPerAddress, key: addressBucket(request.clientAddress) },
  ]);
  if (!verdict.allowed) throw attemptsRefused(verdict, 'Too many refused Slack requests from your address');
  const now = deps.clock();
  const windowStart = now - (now % REFUSAL_WINDOW_MS);
  await deps.store.transaction(async (tx) => {
    const count = await tx.slack.countRefusal({ workspaceId, source: 'slack', reason, windowStart, at: now });
    if (count > REFUSAL_SAMPLES_PER_WINDOW) return;
    await tx.slack.appendAudit({
      workspaceId,
      source: 'slack',
      outcome: reason,
      detail: `Slack request refused (${REFUSAL_WORDS[reason]}); claimed Slack user ${excerpt(claimedUser)}. Sample ${count} of at most ${REFUSAL_SAMPLES_PER_WINDOW} this hour; every refusal is counted.`,
      createdAt: now,
    });
  });
}

/**
 * Handles one button click. The signature is checked before anything is trusted (the integration id in
 * the button value only says which secret to check with); a bad signature or an unlinked Slack user
 * decides nothing. Refused requests are limited per client address, counted and sampled (see refuse);
 * signed requests spend no budget, so Slack's own traffic is never held back by someone else's flood,
 * even when both reach Loopgate through one proxy address.
 */
export async function handleSlackInteraction(
  deps: SlackInteractionDeps,
  request: SlackInteractionRequest,
): Promise<SlackInteractionOutcome> {
  const now = deps.clock();
  const audit = (workspaceId: string | null, outcome: string, detail: string) =>
    deps.store.transaction((tx) =>
      tx.slack.appendAudit({ workspaceId, source: 'slack', outcome, detail, createdAt: deps.clock() }),
    );
  const payload = parsePayload(request.rawBody);
  if (!payload) {
    await refuse(deps, request, null, 'malformed_body', undefined);
    throw new AppError('validation_failed', 'Expected a Slack interaction payload');
  }
  const action = payload.actions?.[0];
  const [integrationId, taskId, decision] = (typeof action?.value === 'string' ? action.value : '').split('|');
  const integration = integrationId ? await deps.store.read.slack.findIntegration(integrationId) : null;
  const ts = request.timestamp ?? '';
  const fresh = /^\d+$/.test(ts) && Math.abs(Math.floor(now / 1000) - Number(ts)) <= SLACK_TOLERANCE_SECONDS;
  const signed =
    integration !== null &&
    request.signature !== undefined &&
    signatureMatches(slackSignature(integration.signingSecret, ts, request.rawBody), request.signature);
  if (!integration || !fresh || !signed) {
    const reason = !integration ? 'unknown_integration' : !fresh ? 'stale_timestamp' : 'bad_signature';
    await refuse(deps, request, integration?.workspaceId ?? null, reason, payload.user?.id);
    throw new AppError('webhook_signature_invalid', 'The Slack request signature is missing, stale or invalid');
  }
  const workspaceId = integration.workspaceId;
  if (!taskId || (decision !== 'approve' && decision !== 'reject')) {
    await audit(workspaceId, 'ignored', `Unhandled action ${action?.action_id ?? '?'}`);
    return 'ignored';
  }
  const slackUserId = typeof payload.user?.id === 'string' ? payload.user.id : '';
  const link = slackUserId ? await deps.store.read.slack.findUserLink(integration.id, slackUserId) : null;
  const member = link ? await memberPrincipal(deps.store.read, workspaceId, link.userId) : null;
  if (!member) {
    await audit(
      workspaceId,
      'unmapped_user',
      `Slack user ${slackUserId} is not linked to a member; ${taskId} not decided`,
    );
    if (payload.response_url) {
      await deps.respond(workspaceId, payload.response_url, {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Your Slack account is not linked to a Loopgate reviewer, so nothing was decided. Ask an admin to link it.',
      });
    }
    return 'unmapped_user';
  }
  const { user, principal } = member;
  let outcome: SlackInteractionOutcome = 'decided';
  let text: string;
  try {
    const task = await decideTask(deps, principal, taskId, { action: decision, comment: 'Decided in Slack' });
    text = `${decision === 'approve' ? ':white_check_mark: Approved' : ':x: Rejected'} by ${principal.actor.name}: ${task.title}`;
    await audit(workspaceId, 'decided', `${slackUserId} → ${user.email} ${decision}d ${taskId}`);
  } catch (error) {
    if (!(error instanceof AppError) || (error.code !== 'task_already_decided' && error.code !== 'forbidden')) {
      throw error;
    }
    outcome = error.code === 'forbidden' ? 'forbidden' : 'already_decided';
    text = error.code === 'forbidden' ? `Not allowed: ${error.message}` : error.message;
    await audit(workspaceId, error.code, `${slackUserId} → ${user.email}: ${error.message}`);
  }
  if (payload.response_url) {
    await deps.respond(workspaceId, payload.response_url, {
      replace_original: true,
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `<${deps.publicUrl}/tasks/${taskId}|Open in Loopgate>` }],
        },
      ],
    });
  }
  return outcome;
}

/**
 * Slack: a queue's new tasks are posted to an incoming webhook as a Block Kit message with Approve and
 * Reject buttons; a click comes back to /api/v1/integrations/slack/interactions, signed by Slack,
 * and decides through decideTask as the Loopgate user the Slack user is linked to.
 */

/** Slack's own replay window for signed requests. */
export const SLACK_TOLERANCE_SECONDS = 300;
