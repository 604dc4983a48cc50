import { randomUUID } from 'node:crypto';
import { findJsonShapeProblem } from '@loopgate/shared';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { analyticsRoutes } from './api/analytics.js';
import { apiKeyRoutes } from './api/api-keys.js';
import { approvalRoutes } from './api/approvals.js';
import { auditRoutes } from './api/audit.js';
import { boardRoutes } from './api/board.js';
import { callerRoutes } from './api/caller.js';
import { type DeliveryAppDeps, deliveryRoutes } from './api/deliveries.js';
import { eventRoutes } from './api/events.js';
import { externalReviewerRoutes } from './api/external-reviewers.js';
import { grantRoutes } from './api/grants.js';
import { haltRoutes } from './api/halts.js';
import { buildOpenApiDocument } from './api/openapi.js';
import { queueRoutes } from './api/queues.js';
import { type AnyRouteSpec, mountRoute } from './api/route.js';
import { SLACK_INTERACTIONS_PATH, slackRoutes } from './api/slack.js';
import { systemRouter } from './api/system.js';
import { taskExportRoutes } from './api/task-export.js';
import { taskRoutes } from './api/tasks.js';
import type { TrustProxySetting } from './config.js';
import type { ApiKeyAuthenticator } from './domain/admin/authenticate.js';
import { noteAuditPrincipal, runWithAuditContext } from './domain/audit/audit-context.js';
import type { AuditSigningKey } from './domain/audit/list-audit-checkpoints.js';
import type { Principal } from './domain/kernel/access.js';
import { AppError } from './domain/kernel/errors.js';
import type { EmailMessage, Notifier } from './domain/kernel/notifier.js';
import type { AttemptLimiter } from './domain/reviewers/login-limits.js';
import type { Store } from './domain/store.js';
import type { CreateTaskDeps } from './domain/tasks/create-task.js';
import { problemHandler } from './http-common/problem.js';
import { redactTokenPath } from './http-common/redact-url.js';
import { memoryAttemptLimiter } from './limits/attempt-limiter.js';
import { serializeError } from './logger.js';
import { mcpRouter } from './mcp/mcp-router.js';
import { webPages } from './web/web-router.js';

export interface AppDeps extends CreateTaskDeps {
  store: Store;
  logger: Logger;
  authenticator: ApiKeyAuthenticator;
  publicUrl: string;
  bodyLimit: string;
  /** Decision delivery (outbox wake-up, Slack replies); without it, redelivery waits for the next poll. */
  delivery?: DeliveryAppDeps;
  /** Sends invitation mails; without it the users page cannot add anyone (the operator's CLI still can). */
  notifier?: Notifier;
  /** Told of every invitation mail sent with its link. */
  onInvitationSent?: (message: EmailMessage, link: string) => void;
  /** Budgets for logins, invitation passwords and unsigned Slack requests; per process when omitted. */
  limiter?: AttemptLimiter;
  /** How long after its decision an admin may revoke an approval (LOOPGATE_REVOKE_WINDOW_HOURS); 24 h by default. */
  revokeWindowMs?: number;
  /** Whose X-Forwarded-For to believe (LOOPGATE_TRUST_PROXY); by default nobody's: the peer is the client. */
  trustProxy?: TrustProxySetting;
  /** Cost of an hour of reviewer time for the ROI numbers (LOOPGATE_REVIEWER_HOUR_COST); null: not set. */
  reviewerHourCost?: number | null;
  /** The public half of LOOPGATE_AUDIT_SIGNING_KEY, shown with the checkpoints; null or absent: checkpoints are off. */
  auditSigningKey?: AuditSigningKey | null;
}

/**
 * Runs on every parsed JSON body before any schema sees it: too deep a body would overflow the schema
 * validator's stack (a 500), and a lone surrogate would be stored as U+FFFD (not what was echoed).
 */
function refuseUnsafeJson(req: Request, _res: Response, next: NextFunction): void {
  const problem = req.body !== undefined ? findJsonShapeProblem(req.body) : null;
  if (!problem) {
    next();
    return;
  }
  const where = problem.path ? (problem.path.length > 120 ? `${problem.path.slice(0, 120)}…` : problem.path) : 'body';
  next(new AppError('validation_failed', `${where}: ${problem.message}`, [{ path: where, message: problem.message }]));
}

function bearerToken(req: Request): string {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthorized', 'Send an API key as Authorization: Bearer lg_…');
  return match[1];
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Off unless configured: believing X-Forwarded-For from any peer would let a client pick the address
  // that limits are counted on, and a fresh address buys a fresh budget.
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        err: serializeError,
        req: (req) => ({ id: req.id, method: req.method, url: redactTokenPath(req.url) }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          // Swagger UI sets inline styles; scripts stay 'self' only.
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'object-src': ["'none'"],
          'base-uri': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
    }),
  );
  // Slack signs the raw form body, so that one route keeps it as bytes.
  app.use(SLACK_INTERACTIONS_PATH, express.raw({ type: 'application/x-www-form-urlencoded', limit: '1mb' }));
  app.use(express.json({ limit: deps.bodyLimit, type: ['application/json', 'application/*+json'] }));
  app.use(refuseUnsafeJson);
  // After the body parsers, whose stream callbacks would run outside it: from here on a task change
  // the request makes writes its audit entry with the request id and the caller's role.
  app.use((req, _res, next) => runWithAuditContext(typeof req.id === 'string' ? req.id : null, next));

  const checkUrl = deps.checkCallbackUrl ?? (async () => undefined);
  const limiter = deps.limiter ?? memoryAttemptLimiter(deps.logger);
  const delivery: DeliveryAppDeps = deps.delivery ?? { respondToSlack: async () => undefined };
  const routes: AnyRouteSpec[] = [
    ...taskExportRoutes(deps),
    ...taskRoutes(deps),
    ...approvalRoutes(deps),
    ...queueRoutes(deps),
    ...boardRoutes(deps),
    ...analyticsRoutes({ store: deps.store, clock: deps.clock, costPerHour: deps.reviewerHourCost ?? null }),
    ...deliveryRoutes({ store: deps.store, clock: deps.clock, checkUrl, kick: delivery.kick }),
    ...eventRoutes(deps),
    ...slackRoutes({ ...deps, checkUrl, respond: delivery.respondToSlack, limiter }),
    ...callerRoutes(deps),
    ...apiKeyRoutes({ store: deps.store, clock: deps.clock, bus: deps.bus }),
    ...haltRoutes({ store: deps.store, clock: deps.clock }),
    ...grantRoutes({ store: deps.store, clock: deps.clock }),
    ...externalReviewerRoutes({ store: deps.store, clock: deps.clock }),
    ...auditRoutes(deps),
  ];
  let openApiDocument: unknown;
  app.use(
    systemRouter({
      store: deps.store,
      openApi: () => {
        openApiDocument ??= buildOpenApiDocument(routes, deps.publicUrl);
        return openApiDocument;
      },
    }),
  );

  const api = express.Router();
  const authenticate = async (req: Request): Promise<Principal> => {
    const principal = await deps.authenticator.authenticate(bearerToken(req));
    noteAuditPrincipal(principal);
    return principal;
  };
  for (const route of routes) mountRoute(api, route, authenticate);
  app.use(api);
  // MCP (streamable HTTP) for agents and reviewers' MCP clients: the same keys, the same use cases.
  app.use(mcpRouter({ ...deps, authenticate }));
  // Server-rendered pages (login, board, task detail, e-mail review links); session auth, own CSP.
  const pages = webPages({ ...deps, limiter, kickDeliveries: delivery.kick });
  app.use(pages.router);

  app.use((req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}`)));
  // Browsers get error pages in the layout (an HTML 404); the API and scripts get problem+json.
  app.use(problemHandler(deps.logger, pages.errorPage));
  return app;
}
