import {
  type DecisionAction,
  type DecisionInput,
  decisionInputSchema,
  isFinalStatus,
  listTasksQuerySchema,
  RISK_LEVELS,
  type RiskLevel,
  type Role,
  roleSchema,
} from '@loopgate/shared';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { MIN_PASSWORD_LENGTH } from '../domain/admin/users.js';
import { claimTask, escalateTask, releaseTask } from '../domain/approvals/claims.js';
import {
  lineDiff,
  parseEditedPayload,
  payloadText,
  unifiedDiffLines,
  unifiedPayloadDiff,
} from '../domain/approvals/payload-diff.js';
import { decideTask } from '../domain/approvals/vote.js';
import { listDeliveries, redeliver } from '../domain/delivery/deliveries.js';
import { can } from '../domain/kernel/access.js';
import { AppError } from '../domain/kernel/errors.js';
import type { EmailMessage, Notifier } from '../domain/kernel/notifier.js';
import { randomToken, sameToken } from '../domain/kernel/secrets.js';
import {
  BOARD_STAGES,
  type BoardStage,
  cardStateOf,
  loadBoard,
  moveAction,
  movesFrom,
  STAGE_TITLES,
  stageOf,
} from '../domain/reviewers/board.js';
import {
  acceptInvitation,
  inviteMember,
  listInvitations,
  type OpenedInvitation,
  openInvitation,
  withdrawInvitation,
} from '../domain/reviewers/invitations.js';
import type { AttemptLimiter } from '../domain/reviewers/login-limits.js';
import { listMembers, setMemberRole } from '../domain/reviewers/members.js';
import { decideByReviewLink, openReviewLink } from '../domain/reviewers/review-links.js';
import type { BoardFilter, ReviewLinkAction } from '../domain/reviewers/reviewer-ports.js';
import { BOARD_COUNT_CAP } from '../domain/reviewers/reviewer-ports.js';
import {
  authenticateSession,
  logIn,
  logOut,
  SESSION_TTL_MS,
  type SessionPrincipal,
} from '../domain/reviewers/sessions.js';
import type { CreateTaskDeps } from '../domain/tasks/create-task.js';
import { getTask, listTaskEvents, listTasks } from '../domain/tasks/read-tasks.js';
import type { JsonValue, TaskRecord } from '../domain/tasks/task-record.js';
import { toAppError } from '../http-common/problem.js';
import { streamTaskChanges } from '../http-common/task-change-stream.js';
import { memoryAttemptLimiter } from '../limits/attempt-limiter.js';
import { clearCookie, cookieNames, readCookies, setCookie } from './kit/cookies.js';
import { formatConfidence, formatTime, views, WEB_ROOT } from './kit/render.js';
import { sameOriginForms } from './kit/same-origin.js';
import { registerQueueSettingsPages } from './pages/queue-settings.js';

export interface WebDeps extends CreateTaskDeps {
  logger: Logger;
  publicUrl: string;
  bodyLimit: string;
  limiter?: AttemptLimiter;
  /** Wakes the outbox worker after an admin's redeliver. */
  kickDeliveries?: () => void;
  /** Sends invitation mails; without it the pages cannot add anyone (the operator's CLI still can). */
  notifier?: Notifier;
  onInvitationSent?: (message: EmailMessage, link: string) => void;
}

/**
 * Pages get a stricter policy than the API's: no inline styles either, no framing, no remote
 * images (agent-written markdown like ![](https://evil/?secret) cannot phone home), and fetch/SSE
 * to this origin only.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Locals = { web?: SessionPrincipal | null };

const DECISION_ACTIONS_BY_LINK: Record<ReviewLinkAction, DecisionAction[]> = {
  approve: ['approve'],
  reject: ['reject'],
  modify: ['approve', 'reject', 'approve_with_modifications'],
};

function helpers() {
  return { time: formatTime, confidence: formatConfidence, countCap: BOARD_COUNT_CAP };
}

function sendPage(res: Response, template: string, data: Record<string, unknown>, status = 200): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(views.render(`./${template}`, { ...helpers(), ...data }));
}

function userView(web: SessionPrincipal) {
  return { email: web.user.email, name: web.user.name, role: web.principal.role };
}

function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(value) ? value : '/board';
}

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The most recent deliveries the task page lists; the API pages through all of them. */
const TASK_PAGE_DELIVERIES = 20;

function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

type FormDecision =
  | { kind: 'decide'; input: DecisionInput }
  | { kind: 'preview'; diff: ReturnType<typeof lineDiff>; edited: string; comment: string }
  | { kind: 'invalid'; error: string; edited?: string };

/** A decision form → the domain's DecisionInput; a modification without `confirm` is only previewed. */
function readDecisionForm(task: TaskRecord, body: unknown): FormDecision {
  const action = field(body, 'action');
  const comment = field(body, 'comment')?.trim() || undefined;
  if (action === 'approve_with_modifications') {
    const edited = field(body, 'modifiedPayload') ?? '';
    const parsed = parseEditedPayload(task.payload, edited);
    if (!parsed.ok) return { kind: 'invalid', error: parsed.error, edited };
    if (field(body, 'confirm') !== '1') {
      const diff = lineDiff(payloadText(task.payload), payloadText(parsed.value));
      if (!diff.some((line) => line.op !== 'same')) {
        return { kind: 'invalid', error: 'You have not changed the payload; use Approve instead.', edited };
      }
      return { kind: 'preview', diff, edited, comment: comment ?? '' };
    }
    return { kind: 'decide', input: decisionInputSchema.parse({ action, comment, modifiedPayload: parsed.value }) };
  }
  const result = decisionInputSchema.safeParse({ action, comment });
  if (!result.success) return { kind: 'invalid', error: 'Choose approve, reject or approve with modifications.' };
  return { kind: 'decide', input: result.data };
}

function taskViewData(task: TaskRecord) {
  return {
    task,
    payloadText: payloadText(task.payload),
    contextText: task.context === null ? '' : payloadText(task.context as JsonValue),
    payloadKind: typeof task.payload === 'string' ? 'text' : 'json',
  };
}

export function webRouter(deps: WebDeps): Router {
  const router = express.Router();
  const limiter = deps.limiter ?? memoryAttemptLimiter(deps.logger);
  const secure = deps.publicUrl.startsWith('https:');
  const { session: SESSION_COOKIE, loginCsrf: LOGIN_CSRF_COOKIE } = cookieNames(secure);
  const form = express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 50 });

  router.use('/static', express.static(`${WEB_ROOT}/static`, { index: false, maxAge: '1h' }));

  async function sessionOf(req: Request, res: Response): Promise<SessionPrincipal | null> {
    const locals = res.locals as Locals;
    if (locals.web !== undefined) return locals.web;
    const token = readCookies(req)[SESSION_COOKIE];
    locals.web = token ? await authenticateSession(deps, token) : null;
    return locals.web;
  }

  function checkCsrf(req: Request, web: SessionPrincipal): void {
    const sent = field(req.body, '_csrf') ?? req.get('x-csrf-token') ?? '';
    if (!sameToken(sent, web.session.csrfToken)) throw new AppError('csrf_token_invalid');
  }

  /** A page behind login: renders errors as pages, sends the logged-out to the login form. */
  function page(handler: (req: Request, res: Response, web: SessionPrincipal) => Promise<void>) {
    return async (req: Request, res: Response, _next: NextFunction) => {
      let web: SessionPrincipal | null = null;
      try {
        web = await sessionOf(req, res);
        if (!web) {
          if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
            res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
          } else {
            throw new AppError('unauthorized', 'Log in first');
          }
          return;
        }
        if (req.method === 'POST') checkCsrf(req, web);
        await handler(req, res, web);
      } catch (error) {
        renderError(req, res, error, web);
      }
    };
  }

  function renderError(req: Request, res: Response, error: unknown, web: SessionPrincipal | null): void {
    const appError = toAppError(error);
    if (appError.code === 'internal_error') (req.log ?? deps.logger).error({ err: error }, 'page failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (req.accepts(['html', 'json']) === 'json') {
      res.status(appError.status).json({ code: appError.code, detail: appError.message });
      return;
    }
    sendPage(
      res,
      'message',
      {
        heading:
          appError.code === 'review_link_invalid' || appError.code === 'invitation_invalid'
            ? 'This link no longer works'
            : 'That did not work',
        text: appError.message,
        kind: 'error',
        user: web ? userView(web) : null,
        csrf: web?.session.csrfToken,
        link: web ? { href: '/board', label: 'Back to the board' } : null,
      },
      appError.status,
    );
  }

  router.get('/', (_req, res) => res.redirect(303, '/board'));

  // Login: before a session exists, CSRF is a double-submit token (cookie + hidden field).
  router.get('/login', (req, res) => {
    const csrf = randomToken();
    setCookie(res, LOGIN_CSRF_COOKIE, csrf, { secure, maxAgeMs: 60 * 60 * 1000 });
    sendPage(res, 'login', { csrf, next: safeNext(req.query.next), email: '', workspace: '' });
  });

  // Forms posted without a session: refused when the browser says another site sent them (cookie tossing).
  const sameOrigin = sameOriginForms(deps.publicUrl, (req, res, error) => renderError(req, res, error, null));

  router.post('/login', sameOrigin, form, async (req, res) => {
    const cookieCsrf = readCookies(req)[LOGIN_CSRF_COOKIE] ?? '';
    const csrf = randomToken();
    const again = (error: string, status: number) => {
      setCookie(res, LOGIN_CSRF_COOKIE, csrf, { secure, maxAgeMs: 60 * 60 * 1000 });
      sendPage(
        res,
        'login',
        {
          csrf,
          error,
          next: safeNext(field(req.body, 'next')),
          email: field(req.body, 'email') ?? '',
          workspace: field(req.body, 'workspace') ?? '',
        },
        status,
      );
    };
    if (!cookieCsrf || !sameToken(field(req.body, '_csrf') ?? '', cookieCsrf)) {
      again('The form expired; please log in again.', 403);
      return;
    }
    try {
      const login = await logIn(
        { store: deps.store, clock: deps.clock, limiter },
        {
          email: field(req.body, 'email') ?? '',
          password: field(req.body, 'password') ?? '',
          workspaceSlug: field(req.body, 'workspace') || undefined,
          clientAddress: clientAddress(req),
        },
      );
      clearCookie(res, LOGIN_CSRF_COOKIE, secure);
      setCookie(res, SESSION_COOKIE, login.token, { secure, maxAgeMs: SESSION_TTL_MS });
      res.redirect(303, safeNext(field(req.body, 'next')));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'internal_error') (req.log ?? deps.logger).error({ err: error }, 'login failed');
      again(appError.message, appError.status);
    }
  });

  router.post(
    '/logout',
    form,
    page(async (req, res) => {
      const token = readCookies(req)[SESSION_COOKIE];
      if (token) await logOut(deps, token);
      clearCookie(res, SESSION_COOKIE, secure);
      res.redirect(303, '/login');
    }),
  );

  router.get(
    '/board',
    page(async (req, res, web) => {
      const q = req.query as Record<string, unknown>;
      const str = (name: string, max = 200) =>
        typeof q[name] === 'string' && q[name] !== '' ? (q[name] as string).slice(0, max) : undefined;
      const risk = str('risk');
      const filter: BoardFilter = {
        queue: str('queue', 64),
        riskLevel: RISK_LEVELS.includes(risk as RiskLevel) ? (risk as RiskLevel) : undefined,
        source: str('source', 64),
        assigneeId: str('assignee', 64),
        search: str('q', 200),
      };
      const common = {
        user: userView(web),
        csrf: web.session.csrfToken,
        filter,
        now: deps.clock(),
        canDecide: can(web.principal.role, 'task:decide'),
        movesFrom,
        me: web.principal.actor.id,
        isAdmin: can(web.principal.role, 'workspace:admin'),
      };
      if (str('view') === 'list') {
        const query = listTasksQuerySchema.parse({
          queue: filter.queue,
          riskLevel: filter.riskLevel,
          source: filter.source,
          cursor: str('cursor'),
          limit: 50,
        });
        const { tasks, nextCursor } = await listTasks(deps, web.principal, query);
        const next = new URLSearchParams({ view: 'list', ...(nextCursor ? { cursor: nextCursor } : {}) });
        for (const [key, value] of Object.entries({
          queue: filter.queue,
          risk: filter.riskLevel,
          source: filter.source,
        })) {
          if (value) next.set(key, value);
        }
        const members = await listMembers(deps, web.principal);
        sendPage(res, 'board', { ...common, view: 'list', tasks, nextCursor, nextHref: `/board?${next}`, members });
        return;
      }
      const columns = await loadBoard(deps, web.principal, filter);
      if (str('fragment') === '1') {
        res.setHeader('Cache-Control', 'no-store');
        res.type('html').send(views.render('./board-columns', { ...helpers(), ...common, columns }));
        return;
      }
      const members = await listMembers(deps, web.principal);
      sendPage(res, 'board', { ...common, view: 'board', columns, members });
    }),
  );

  // The board's live feed: the same task.changed events as GET /api/v1/events, authenticated by session.
  router.get(
    '/board/events',
    page(async (req, res, web) => {
      streamTaskChanges(req, res, deps.bus, { workspaceId: web.principal.workspaceId });
    }),
  );

  async function renderTask(
    res: Response,
    web: SessionPrincipal,
    task: TaskRecord,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const [events, { deliveries }] = await Promise.all([
      listTaskEvents(deps, web.principal, task.id),
      listDeliveries(deps, web.principal, { taskId: task.id, limit: TASK_PAGE_DELIVERIES }),
    ]);
    const isAdmin = can(web.principal.role, 'workspace:admin');
    const decision = task.decision;
    // The diff stored with the decision is the record; decisions from before it was stored get one computed.
    const decisionDiff =
      decision?.action === 'approve_with_modifications' && decision.modifiedPayload !== null
        ? unifiedDiffLines(decision.diff ?? unifiedPayloadDiff(task.payload, decision.modifiedPayload))
        : null;
    sendPage(
      res,
      'task',
      {
        ...taskViewData(task),
        user: userView(web),
        csrf: web.session.csrfToken,
        events,
        // listDeliveries has already cut each URL down to what this user may see (viewTargetUrl).
        deliveries,
        canRedeliver: isAdmin,
        decisionDiff,
        canDecide: can(web.principal.role, 'task:decide') && !isFinalStatus(task.status),
        allowed: ['approve', 'reject', 'approve_with_modifications'],
        formAction: `/tasks/${encodeURIComponent(task.id)}/decide`,
        backHref: `/tasks/${encodeURIComponent(task.id)}`,
        ...extra,
      },
      status,
    );
  }

  router.get(
    '/tasks/:id',
    page(async (req, res, web) => {
      await renderTask(res, web, await getTask(deps, web.principal, String(req.params.id)));
    }),
  );

  router.post(
    '/tasks/:id/decide',
    form,
    page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const decision = readDecisionForm(task, req.body);
      if (decision.kind === 'invalid') {
        await renderTask(res, web, task, { error: decision.error, edited: decision.edited }, 400);
        return;
      }
      if (decision.kind === 'preview') {
        await renderTask(res, web, task, { preview: decision });
        return;
      }
      try {
        await decideTask(deps, web.principal, task.id, decision.input);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error') throw error;
        await renderTask(
          res,
          web,
          await getTask(deps, web.principal, task.id),
          { error: appError.message },
          appError.status,
        );
        return;
      }
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}`);
    }),
  );

  router.post(
    '/tasks/:id/deliveries/:deliveryId/redeliver',
    form,
    page(async (req, res, web) => {
      const taskId = String(req.params.id);
      await redeliver({ ...deps, kick: deps.kickDeliveries }, web.principal, String(req.params.deliveryId), { taskId });
      res.redirect(303, `/tasks/${encodeURIComponent(taskId)}#deliveries`);
    }),
  );

  // Drag and drop on the board. The server decides what the move means from the task as it is now,
  // not from the column the browser saw, so a stale board cannot make a move the rules forbid.
  router.post(
    '/tasks/:id/move',
    form,
    page(async (req, res, web) => {
      const to = field(req.body, 'to') as BoardStage | undefined;
      if (!to || !BOARD_STAGES.includes(to)) {
        throw new AppError('validation_failed', `Move to one of: ${BOARD_STAGES.join(', ')}`);
      }
      const task = await getTask(deps, web.principal, String(req.params.id));
      const state = cardStateOf(task);
      const from = stageOf(state);
      const allowed = movesFrom(state);
      if (!allowed.includes(to)) {
        const options = allowed.map((stage) => STAGE_TITLES[stage]).join(' or ');
        throw new AppError(
          'validation_failed',
          `A task in ${STAGE_TITLES[from]} cannot be moved to ${STAGE_TITLES[to]}${
            options ? `; it can go to ${options}` : ''
          }${to === 'completed' ? '. Decide it on its page to complete it.' : '.'}`,
        );
      }
      const action = moveAction(to);
      const after =
        action === 'claim'
          ? await claimTask(deps, web.principal, task.id)
          : action === 'release'
            ? await releaseTask(deps, web.principal, task.id)
            : await escalateTask(deps, web.principal, task.id, undefined);
      const stage = stageOf(cardStateOf(after));
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: after.id, action, stage });
        return;
      }
      res.redirect(303, '/board');
    }),
  );

  router.post(
    '/tasks/:id/claim',
    form,
    page(async (req, res, web) => {
      const task = await claimTask(deps, web.principal, String(req.params.id));
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: task.id, assignee: task.workflow?.assignee ?? null, claimed: true });
        return;
      }
      res.redirect(303, '/board');
    }),
  );

  async function renderAdminUsers(
    res: Response,
    web: SessionPrincipal,
    extra: Record<string, unknown> = {},
    status = 200,
  ): Promise<void> {
    const [members, invitations] = await Promise.all([
      listMembers(deps, web.principal),
      listInvitations(deps, web.principal),
    ]);
    sendPage(
      res,
      'admin-users',
      { user: userView(web), csrf: web.session.csrfToken, members, invitations, ...extra },
      status,
    );
  }

  router.get(
    '/admin/users',
    page(async (req, res, web) => {
      if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins manage users');
      const notice = typeof req.query.notice === 'string' ? req.query.notice.slice(0, 200) : undefined;
      await renderAdminUsers(res, web, { notice });
    }),
  );

  // Every add from the users page is an invitation the person accepts: the pages never set anyone's
  // password (POST /admin/users is the old "Add user" form's address; a password it sends is ignored).
  router.post(
    ['/admin/users', '/admin/users/invite'],
    form,
    page(async (req, res, web) => {
      const role = roleSchema.safeParse(field(req.body, 'role'));
      const input = {
        email: field(req.body, 'email') ?? '',
        name: field(req.body, 'name')?.trim() || undefined,
        role: role.success ? role.data : 'viewer',
      };
      if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins manage users');
      try {
        const notifier = deps.notifier;
        if (!notifier) {
          throw new AppError(
            'service_unavailable',
            'This server sends no e-mail, so it cannot invite; an operator adds users with `loopgate user create`.',
          );
        }
        const invited = await inviteMember(
          {
            store: deps.store,
            clock: deps.clock,
            notifier,
            publicUrl: deps.publicUrl,
            onSent: deps.onInvitationSent,
            onSendError: (error) =>
              (req.log ?? deps.logger).warn({ err: error }, 'could not send an invitation e-mail'),
          },
          web.principal,
          input,
        );
        // The same words whoever the address belongs to: nothing here may tell an admin about other workspaces.
        const notice = `Invitation sent to ${invited.email}`;
        res.redirect(303, `/admin/users?notice=${encodeURIComponent(notice)}`);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error' || appError.code === 'forbidden') throw error;
        await renderAdminUsers(res, web, { error: appError.message, invite: input }, appError.status);
      }
    }),
  );

  router.post(
    '/admin/users/invitations/withdraw',
    form,
    page(async (req, res, web) => {
      const email = field(req.body, 'email') ?? '';
      const withdrawn = await withdrawInvitation(deps, web.principal, email);
      const notice = withdrawn > 0 ? `Invitation to ${email} withdrawn` : `No open invitation to ${email}`;
      res.redirect(303, `/admin/users?notice=${encodeURIComponent(notice)}`);
    }),
  );

  router.post(
    '/admin/users/:id/role',
    form,
    page(async (req, res, web) => {
      const role = roleSchema.safeParse(field(req.body, 'role'));
      if (!role.success) throw new AppError('validation_failed', 'Choose admin, reviewer or viewer');
      await setMemberRole(deps, web.principal, String(req.params.id), role.data as Role);
      res.redirect(303, `/admin/users?notice=${encodeURIComponent('Role updated')}`);
    }),
  );

  // E-mail links: no login; the token is the credential. GET shows, POST decides.
  async function renderReview(res: Response, token: string, extra: Record<string, unknown> = {}, status = 200) {
    const opened = await openReviewLink(deps, token);
    const href = `/review/${encodeURIComponent(token)}`;
    sendPage(
      res,
      'review',
      {
        ...taskViewData(opened.task),
        reviewer: opened.link.email,
        allowed: DECISION_ACTIONS_BY_LINK[opened.link.action],
        formAction: href,
        backHref: href,
        ...extra,
      },
      status,
    );
  }

  router.get('/review/:token', async (req, res) => {
    try {
      // Scanners and previews fetch this; it only reads. The token in the URL never leaves as a Referer to
      // another site, while the form's POST keeps a real Origin (no-referrer would make it "null").
      res.setHeader('Referrer-Policy', 'same-origin');
      await renderReview(res, String(req.params.token));
    } catch (error) {
      renderError(req, res, error, null);
    }
  });

  router.post('/review/:token', sameOrigin, form, async (req, res) => {
    const token = String(req.params.token);
    try {
      const opened = await openReviewLink(deps, token);
      const decision = readDecisionForm(opened.task, req.body);
      if (decision.kind === 'invalid') {
        await renderReview(res, token, { error: decision.error, edited: decision.edited }, 400);
        return;
      }
      if (decision.kind === 'preview') {
        await renderReview(res, token, { preview: decision });
        return;
      }
      const after = await decideByReviewLink(deps, token, decision.input);
      const outcome = isFinalStatus(after.status)
        ? `The task is now ${after.status.replace(/_/g, ' ')}.`
        : 'Your vote is recorded; the task waits for the other reviewers.';
      sendPage(res, 'message', { heading: 'Thank you', text: `Your decision was recorded. ${outcome}`, kind: 'ok' });
    } catch (error) {
      renderError(req, res, error, null);
    }
  });

  // Invitation links: no login; the token is the credential. GET only shows the form (scanners fetch
  // links), POST accepts (chooses the password, or checks an existing account's) and logs in. Before a
  // session exists, CSRF is the login form's double submit.
  function renderInvitation(
    res: Response,
    token: string,
    invitation: OpenedInvitation,
    extra: Record<string, unknown> = {},
    status = 200,
  ): void {
    const csrf = randomToken();
    setCookie(res, LOGIN_CSRF_COOKIE, csrf, { secure, maxAgeMs: 60 * 60 * 1000 });
    res.setHeader('Referrer-Policy', 'same-origin');
    sendPage(
      res,
      'invite',
      {
        csrf,
        invitation,
        formAction: `/invite/${encodeURIComponent(token)}`,
        minPasswordLength: MIN_PASSWORD_LENGTH,
        ...extra,
      },
      status,
    );
  }

  router.get('/invite/:token', async (req, res) => {
    const token = String(req.params.token);
    try {
      renderInvitation(res, token, await openInvitation(deps, token));
    } catch (error) {
      renderError(req, res, error, null);
    }
  });

  router.post('/invite/:token', sameOrigin, form, async (req, res) => {
    const token = String(req.params.token);
    try {
      const again = async (error: string, status: number) =>
        renderInvitation(res, token, await openInvitation(deps, token), { error }, status);
      const cookieCsrf = readCookies(req)[LOGIN_CSRF_COOKIE] ?? '';
      if (!cookieCsrf || !sameToken(field(req.body, '_csrf') ?? '', cookieCsrf)) {
        await again('The form expired; please enter your password again.', 403);
        return;
      }
      const password = field(req.body, 'password') ?? '';
      // Only someone choosing a password types it twice; an existing account's password is checked.
      const choosing = !(await openInvitation(deps, token)).hasPassword;
      if (choosing && password !== (field(req.body, 'confirm') ?? '')) {
        await again('The two passwords are not the same.', 400);
        return;
      }
      let login: Awaited<ReturnType<typeof acceptInvitation>>;
      try {
        login = await acceptInvitation(
          { store: deps.store, clock: deps.clock, limiter },
          token,
          password,
          clientAddress(req),
        );
      } catch (error) {
        const appError = toAppError(error);
        if (!['validation_failed', 'unauthorized', 'conflict', 'rate_limited'].includes(appError.code)) throw error;
        await again(appError.message, appError.status);
        return;
      }
      clearCookie(res, LOGIN_CSRF_COOKIE, secure);
      setCookie(res, SESSION_COOKIE, login.token, { secure, maxAgeMs: SESSION_TTL_MS });
      res.redirect(303, '/board');
    } catch (error) {
      renderError(req, res, error, null);
    }
  });

  registerQueueSettingsPages(router, { deps, form, page, sendPage, userView });

  return router;
}
