import type { Server } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { setUpDelivery } from './delivery-setup.js';
import { ApiKeyAuthenticator } from './domain/admin/authenticate.js';
import { bootstrapAdmin } from './domain/admin/users.js';
import { offerReviewLinks, type ReviewMailDeps } from './domain/reviewers/review-mail.js';
import type { Store } from './domain/store.js';
import { InProcessTaskEventBus } from './events/in-process-bus.js';
import { RedisTaskEventBus } from './events/redis-bus.js';
import { startAnalyticsRollups } from './jobs/analytics-job.js';
import { startAuditCheckpoints } from './jobs/audit-checkpoint-job.js';
import { startHousekeeping } from './jobs/housekeeping-job.js';
import { startMailDigests } from './jobs/mail-digest-job.js';
import { startReviewMailer } from './jobs/review-mailer.js';
import { startSlaSweeper } from './jobs/sla-sweeper-job.js';
import { FlexibleAttemptLimiter, memoryAttemptLimiter } from './limits/attempt-limiter.js';
import { createLogger } from './logger.js';
import { createEmailNotifier } from './notify/email-notifier.js';
import { openStore } from './store/open-store.js';
import { renderReviewMailHtml } from './web/kit/mail.js';

export interface RunningServer {
  config: Readonly<Config>;
  store: Store;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Without SMTP_URL mails only land in DATA_DIR/mail, so a first run can still be used, the link is
 * logged — at warn, since a log line carrying a working credential is something to fix in production.
 * With SMTP_URL set links are never logged.
 */
function linkLoggedBecauseNoSmtp(kind: 'invitation' | 'review'): string {
  return `${kind} e-mail not sent: no SMTP_URL is set, so nobody receives it (it is written to DATA_DIR/mail); its link is logged here instead. Set SMTP_URL to send mail and stop logging links`;
}

/** The composition root: config → database → services → HTTP → listen. */
export async function startServer(config: Readonly<Config> = loadConfig(), logger?: Logger): Promise<RunningServer> {
  const log = logger ?? createLogger(config.logLevel);
  const store = await openStore(config.database, { logging: config.dbLogging });
  const clock = Date.now;
  if (config.bootstrapAdmin && (await bootstrapAdmin({ store, clock }, config.bootstrapAdmin))) {
    log.info({ email: config.bootstrapAdmin.email }, 'created the first admin in the default workspace');
  }
  // With REDIS_URL, waiters and SSE streams hear of changes made on any server process.
  const redisBus = config.redisUrl ? await RedisTaskEventBus.connect(config.redisUrl, log) : null;
  const bus = redisBus ?? new InProcessTaskEventBus();
  // With REDIS_URL, login and request limits are one budget across every process, not one per process.
  const limiter = config.redisUrl
    ? await FlexibleAttemptLimiter.connect(config.redisUrl, log)
    : memoryAttemptLimiter(log);
  const delivery = setUpDelivery({ store, clock, logger: log, bus }, config);
  const authenticator = new ApiKeyAuthenticator({
    store,
    clock,
    bus,
    onUsageError: (error) => log.warn({ err: error }, "could not record an API key's last use"),
  });
  const notifier = createEmailNotifier({
    smtpUrl: config.smtpUrl,
    mailDir: path.join(config.dataDir, 'mail'),
    from: config.mailFrom,
  });
  const app = createApp({
    store,
    bus,
    clock,
    onTaskChange: delivery.onTaskChange,
    checkCallbackUrl: delivery.checkCallbackUrl,
    delivery: delivery.delivery,
    logger: log,
    authenticator,
    publicUrl: config.publicUrl,
    bodyLimit: config.bodyLimit,
    limiter,
    trustProxy: config.trustProxy,
    revokeWindowMs: config.revokeWindowMs,
    reviewerHourCost: config.reviewerHourCost,
    auditSigningKey: config.auditSigner
      ? { keyId: config.auditSigner.keyId, publicKey: config.auditSigner.publicKey }
      : null,
    notifier,
    onInvitationSent: (message, link) => {
      if (notifier.mode === 'file')
        log.warn({ to: message.to, invitationLink: link }, linkLoggedBecauseNoSmtp('invitation'));
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  // Long-polls last up to two minutes; keep idle keep-alive sockets from outliving a proxy's timeout.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  delivery.outbox.start();
  // Review e-mails with single-use links; without SMTP_URL the link is logged, so a first run works offline.
  const reviewMail: ReviewMailDeps = {
    store,
    clock,
    notifier,
    publicUrl: config.publicUrl,
    renderHtml: renderReviewMailHtml,
    onSent: (message, links) => {
      if (notifier.mode === 'file')
        log.warn({ to: message.to, reviewLink: links.modify }, linkLoggedBecauseNoSmtp('review'));
    },
  };
  const reviewMailer = startReviewMailer({ ...reviewMail, bus, logger: log });
  // Hourly and daily digests, and review mail held back by a user's hourly cap.
  const digests = startMailDigests(reviewMail, { logger: log });
  // SLA sweeper: escalation steps and timeouts. Every step is a compare-and-set, so any number of processes may sweep.
  const sweeper =
    config.slaSweepSeconds > 0
      ? startSlaSweeper(
          {
            store,
            bus,
            clock,
            onTaskChange: delivery.onTaskChange,
            notifier,
            publicUrl: config.publicUrl,
            offerReviewLinks: (task, since) => offerReviewLinks(reviewMail, task.workspaceId, task.id, { since }),
            onNotifyError: (error) => log.warn({ err: error }, 'could not send an escalation e-mail'),
          },
          { intervalSeconds: config.slaSweepSeconds, batchSize: config.slaSweepBatch, logger: log },
        )
      : null;
  // Pruning of finished deliveries, expired sessions, old review links and idempotency keys, the audit log's
  // retention and closed tasks' payloads past theirs; safe on any number of processes.
  const housekeeping =
    config.housekeepingMinutes > 0
      ? startHousekeeping(
          {
            store,
            clock,
            audit: { store, retentionMs: config.auditRetentionMs },
            payloads: { store, retentionMs: config.payloadRetentionMs },
          },
          {
            intervalMinutes: config.housekeepingMinutes,
            deliveryRetentionMs: config.deliveryRetentionMs,
            logger: log,
          },
        )
      : null;
  // Signed audit checkpoints, only with LOOPGATE_AUDIT_SIGNING_KEY; a head signed twice is stored once.
  const checkpoints = config.auditSigner
    ? startAuditCheckpoints(
        { store, clock, signer: config.auditSigner },
        { every: config.auditCheckpointEvery, logger: log },
      )
    : null;
  // Analytics rollups: folds tasks closed since the last run; safe on any number of processes.
  const analytics =
    config.analyticsSeconds > 0
      ? startAnalyticsRollups(
          { store, clock },
          { intervalSeconds: config.analyticsSeconds, fastSecondsPerKb: config.fastDecisionSecondsPerKb, logger: log },
        )
      : null;
  log.info({ url, database: store.dialect }, 'Loopgate is listening');

  return {
    config,
    store,
    server,
    url,
    async stop() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Waiting long-polls would hold close() open; end them after a grace period.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await sweeper?.stop();
      await housekeeping?.stop();
      await checkpoints?.stop();
      await analytics?.stop();
      await digests.stop();
      await reviewMailer.stop();
      await delivery.outbox.stop();
      await authenticator.stop();
      await redisBus?.close();
      await limiter.close();
      await store.close();
    },
  };
}
