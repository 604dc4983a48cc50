import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import type { SlackIntegrationRecord } from '../delivery/delivery-ports.js';
import { type UrlViewer, urlOrigin, viewTargetUrl } from '../delivery/target-url.js';
import { authorize, type Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import { REFUSAL_WINDOW_MS } from './interactions.js';

export interface SlackDeps {
  store: Store;
  clock: () => number;
  publicUrl: string;
  checkUrl: (workspaceId: string, url: string) => Promise<void>;
}

export interface SlackIntegrationView {
  id: string;
  queue: string | null;
  webhookUrl: string;
  createdAt: string;
}

/** Only admins manage Slack integrations, so they see the webhook URL whole; the rule decides, not the route. */
export function toSlackIntegrationView(i: SlackIntegrationRecord, viewer: UrlViewer): SlackIntegrationView {
  return {
    id: i.id,
    queue: i.queue,
    webhookUrl: viewTargetUrl(viewer, i.webhookUrl, null),
    createdAt: new Date(i.createdAt).toISOString(),
  };
}

/**
 * What the ledger says about an integration. A Slack incoming webhook's URL is itself a credential
 * (it posts to the channel), so only its origin goes in; the signing secret never.
 */
function auditData(integration: SlackIntegrationRecord) {
  return { webhookUrl: urlOrigin(integration.webhookUrl), queue: integration.queue };
}

export async function createSlackIntegration(
  deps: SlackDeps,
  principal: Principal,
  input: { webhookUrl: string; signingSecret: string; queue?: string },
  requestId: string | null = null,
): Promise<SlackIntegrationRecord> {
  authorize(principal, 'workspace:admin');
  await deps.checkUrl(principal.workspaceId, input.webhookUrl);
  const now = deps.clock();
  const integration: SlackIntegrationRecord = {
    id: newId('slackIntegration', now),
    workspaceId: principal.workspaceId,
    queue: input.queue ?? null,
    webhookUrl: input.webhookUrl,
    signingSecret: input.signingSecret,
    createdAt: now,
  };
  await deps.store.transaction(async (tx) => {
    await tx.slack.insertIntegration(integration);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'slack_integration.created',
      target: { type: 'slack_integration', id: integration.id },
      data: auditData(integration),
      requestId,
    });
  });
  return integration;
}

export async function listSlackIntegrations(deps: Pick<SlackDeps, 'store'>, principal: Principal) {
  authorize(principal, 'workspace:admin');
  return deps.store.read.slack.listIntegrations(principal.workspaceId);
}

export async function deleteSlackIntegration(
  deps: Pick<SlackDeps, 'store' | 'clock'>,
  principal: Principal,
  id: string,
  requestId: string | null = null,
) {
  authorize(principal, 'workspace:admin');
  const deleted = await deps.store.transaction(async (tx) => {
    const integration = await tx.slack.findIntegration(id);
    if (!integration || integration.workspaceId !== principal.workspaceId) return false;
    if (!(await tx.slack.deleteIntegration(principal.workspaceId, id))) return false;
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: deps.clock(),
      actor: auditActorOf(principal),
      action: 'slack_integration.deleted',
      target: { type: 'slack_integration', id },
      data: auditData(integration),
      requestId,
    });
    return true;
  });
  if (!deleted) throw notFound(`Slack integration ${id}`);
}

/** Links a Slack user to a member of the workspace; their clicks then decide as that member. */
export async function linkSlackUser(
  deps: Pick<SlackDeps, 'store' | 'clock'>,
  principal: Principal,
  integrationId: string,
  input: { slackUserId: string; email: string },
  requestId: string | null = null,
) {
  authorize(principal, 'workspace:admin');
  const integration = await deps.store.read.slack.findIntegration(integrationId);
  if (!integration || integration.workspaceId !== principal.workspaceId) {
    throw notFound(`Slack integration ${integrationId}`);
  }
  const user = await deps.store.read.users.findByEmail(input.email.trim().toLowerCase());
  const membership = user ? await deps.store.read.users.findMembership(principal.workspaceId, user.id) : null;
  if (!user || !membership) throw notFound(`A member with email ${input.email}`);
  const link = {
    integrationId,
    workspaceId: principal.workspaceId,
    slackUserId: input.slackUserId,
    userId: user.id,
    createdAt: deps.clock(),
  };
  await deps.store.transaction(async (tx) => {
    await tx.slack.upsertUserLink(link);
    // Access: the Slack user's clicks decide as this member from now on.
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: link.createdAt,
      actor: auditActorOf(principal),
      action: 'slack_integration.user_linked',
      target: { type: 'slack_integration', id: integrationId },
      data: { slackUserId: link.slackUserId, userId: user.id, email: user.email, role: membership.role },
      requestId,
    });
  });
  return { integrationId, slackUserId: input.slackUserId, userId: user.id, email: user.email, role: membership.role };
}

/**
 * The workspace's Slack audit: its newest entries, and how many requests naming its integrations were
 * refused per reason and hour over the last day (refusals are counted; only samples are entries).
 */
export async function listSlackAudit(deps: Pick<SlackDeps, 'store' | 'clock'>, principal: Principal, limit = 100) {
  authorize(principal, 'workspace:admin');
  const [entries, refusals] = await Promise.all([
    deps.store.read.slack.listAudit(principal.workspaceId, limit),
    deps.store.read.slack.listRefusals(principal.workspaceId, deps.clock() - 24 * REFUSAL_WINDOW_MS),
  ]);
  return { entries, refusals };
}
