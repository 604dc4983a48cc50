import type { SlackIntegrationRecord } from '../delivery/delivery-ports.js';
import { type UrlViewer, viewTargetUrl } from '../delivery/target-url.js';
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

export async function createSlackIntegration(
  deps: SlackDeps,
  principal: Principal,
  input: { webhookUrl: string; signingSecret: string; queue?: string },
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
  await deps.store.transaction((tx) => tx.slack.insertIntegration(integration));
  return integration;
}

export async function listSlackIntegrations(deps: Pick<SlackDeps, 'store'>, principal: Principal) {
  authorize(principal, 'workspace:admin');
  return deps.store.read.slack.listIntegrations(principal.workspaceId);
}

export async function deleteSlackIntegration(deps: Pick<SlackDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'workspace:admin');
  if (!(await deps.store.transaction((tx) => tx.slack.deleteIntegration(principal.workspaceId, id)))) {
    throw notFound(`Slack integration ${id}`);
  }
}

/** Links a Slack user to a member of the workspace; their clicks then decide as that member. */
export async function linkSlackUser(
  deps: Pick<SlackDeps, 'store' | 'clock'>,
  principal: Principal,
  integrationId: string,
  input: { slackUserId: string; email: string },
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
  await deps.store.transaction((tx) => tx.slack.upsertUserLink(link));
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
