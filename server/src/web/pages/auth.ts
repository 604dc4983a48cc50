import type { Router } from 'express';
import { z } from 'zod';
import { logIn } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import { clientAddress, type PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';

const loginForm = z.object({
  email: formText,
  password: formText,
  workspace: formText,
  next: formText,
});

/** Where to go after logging in: a path on this site only, never another origin (`//evil`). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(value) ? value : '/board';
}

/** Log in and out. Before a session exists, CSRF is a double-submit token (cookie + hidden field). */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  router.get('/', (_req, res) => res.redirect(303, '/board'));

  router.get('/login', (req, res) => {
    const csrf = kit.issueLoginCsrf(res);
    kit.send(res, TEMPLATES.login, { csrf, next: safeNext(req.query.next), email: '', workspace: '' });
  });

  router.post('/login', kit.sameOrigin, kit.form, async (req, res) => {
    const fields = readForm(loginForm, req.body);
    const again = (error: string, status: number) => {
      const csrf = kit.issueLoginCsrf(res);
      kit.send(
        res,
        TEMPLATES.login,
        { csrf, error, next: safeNext(fields.next), email: fields.email, workspace: fields.workspace },
        status,
      );
    };
    if (!kit.loginCsrfMatches(req)) {
      again('The form expired; please log in again.', 403);
      return;
    }
    try {
      const login = await logIn(
        { store: deps.store, clock: deps.clock, limiter: kit.limiter },
        {
          email: fields.email,
          password: fields.password,
          workspaceSlug: fields.workspace || undefined,
          clientAddress: clientAddress(req),
        },
      );
      kit.startSession(res, login.token);
      res.redirect(303, safeNext(fields.next));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'internal_error') kit.log(req).error({ err: error }, 'login failed');
      again(appError.message, appError.status);
    }
  });

  router.post(
    '/logout',
    kit.form,
    kit.page(async (req, res) => {
      await kit.endSession(req, res);
      res.redirect(303, '/login');
    }),
  );
}
