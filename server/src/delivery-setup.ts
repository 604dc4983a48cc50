import type { Logger } from 'pino';
import type { DeliveryAppDeps } from './api/deliveries.js';
import { type AllowEntry, combinePolicies, type TargetPolicy } from './domain/delivery/callback-targets.js';
import { createDeliveryHook } from './domain/delivery/delivery-hook.js';
import { createUrlChecker, workspaceTargetPolicy } from './domain/delivery/url-checks.js';
import type { TaskEventBus } from './domain/kernel/bus.js';
import { slackDrafts } from './domain/slack/slack-message.js';
import type { Store } from './domain/store.js';
import type { TaskChangeHook } from './domain/tasks/task-transition.js';

import { OutboxWorker } from './jobs/outbox-worker.js';
import { type HttpPost, postJson } from './notify/http-sender.js';
import { assertCallbackUrlAllowed } from './notify/url-guard.js';

export interface DeliverySettings {
  publicUrl: string;
  /** Every private target but cloud metadata, server-wide (LOOPGATE_ALLOW_PRIVATE_CALLBACKS). */
  allowPrivateCallbacks: boolean;
  /** Private hosts and ranges allowed server-wide (LOOPGATE_CALLBACK_ALLOWLIST). */
  callbackAllowlist: readonly AllowEntry[];
  webhookTimeoutMs: number;
  outboxPollMs: number;
  outboxConcurrency: number;
}

export interface DeliverySetup {
  outbox: OutboxWorker;
  onTaskChange: TaskChangeHook;
  checkCallbackUrl: (workspaceId: string, url: string) => Promise<void>;
  delivery: DeliveryAppDeps;
}

/**
 * Wires decision delivery: the outbox worker, the change hook that queues deliveries (task callback,
 * subscriptions, Slack) in each change's transaction, the SSRF check at registration and Slack replies.
 * The caller starts the worker after listen and stops it before closing the store.
 */
export function setUpDelivery(
  deps: { store: Store; clock: () => number; logger: Logger; bus: TaskEventBus; post?: HttpPost },
  settings: DeliverySettings,
): DeliverySetup {
  const post = deps.post ?? postJson;
  const serverPolicy: TargetPolicy = {
    allowPrivate: settings.allowPrivateCallbacks,
    allowlist: settings.callbackAllowlist,
  };
  const outbox = new OutboxWorker({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    post,
    bus: deps.bus,
    timeoutMs: settings.webhookTimeoutMs,
    pollMs: settings.outboxPollMs,
    concurrency: settings.outboxConcurrency,
    serverPolicy,
  });
  return {
    outbox,
    onTaskChange: createDeliveryHook({ clock: deps.clock, dispatch: outbox, extra: slackDrafts(settings.publicUrl) }),
    checkCallbackUrl: createUrlChecker({
      store: deps.store,
      serverPolicy,
      assertAllowed: assertCallbackUrlAllowed,
    }),
    delivery: {
      kick: () => outbox.kick(),
      async respondToSlack(workspaceId, url, message) {
        const workspace = await deps.store.read.deliverySettings.find(workspaceId);
        const policy = combinePolicies(serverPolicy, workspace && workspaceTargetPolicy(workspace));
        const result = await post({ url, body: JSON.stringify(message), headers: {}, timeoutMs: 3_000, policy });
        if (result.statusCode === null || result.statusCode >= 300) {
          deps.logger.warn({ statusCode: result.statusCode, error: result.error }, 'slack: response_url update failed');
        }
      },
    },
  };
}
