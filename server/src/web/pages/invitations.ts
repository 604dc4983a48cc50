import type { Response, Router } from 'express';
import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from '../../domain/admin/users.js';
import { acceptInvitation, type OpenedInvitation, openInvitation } from '../../domain/reviewers/invitations.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import { clientAddress, type PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';

const acceptForm = z.object({ password: formText, confirm: formText });

/** What accepting may answer that the invitee fixes in the form; anything else is the error page. */
const FORM_ERRORS = ['validation_failed', 'unauthorized', 'conflict', 'rate_limited'];

/**
 * Invitation links: no login; the token is the credential. GET only shows the form (scanners fetch
 * links), POST accepts (chooses the password, or checks an existing account's) and logs in. Before a
 * session exists, CSRF is the login form's double submit.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  function sendInvitation(
    res: Response,
    token: string,
    invitation: OpenedInvitation,
    error?: string,
    status = 200,
  ): void {
    const csrf = kit.issueLoginCsrf(res);
    res.setHeader('Referrer-Policy', 'same-origin');
    kit.send(
      res,
      TEMPLATES.invite,
      {
        csrf,
        invitation,
        formAction: `/invite/${encodeURIComponent(token)}`,
        minPasswordLength: MIN_PASSWORD_LENGTH,
        error,
      },
      status,
    );
  }

  router.get('/invite/:token', async (req, res) => {
    const token = String(req.params.token);
    try {
      sendInvitation(res, token, await openInvitation(deps, token));
    } catch (error) {
      kit.fail(req, res, error, null);
    }
  });

  router.post('/invite/:token', kit.sameOrigin, kit.form, async (req, res) => {
    const token = String(req.params.token);
    try {
      const again = async (error: string, status: number) =>
        sendInvitation(res, token, await openInvitation(deps, token), error, status);
      if (!kit.loginCsrfMatches(req)) {
        await again('The form expired; please enter your password again.', 403);
        return;
      }
      const { password, confirm } = readForm(acceptForm, req.body);
      // Only someone choosing a password types it twice; an existing account's password is checked.
      const choosing = !(await openInvitation(deps, token)).hasPassword;
      if (choosing && password !== confirm) {
        await again('The two passwords are not the same.', 400);
        return;
      }
      let login: Awaited<ReturnType<typeof acceptInvitation>>;
      try {
        login = await acceptInvitation(
          { store: deps.store, clock: deps.clock, limiter: kit.limiter },
          token,
          password,
          clientAddress(req),
        );
      } catch (error) {
        const appError = toAppError(error);
        if (!FORM_ERRORS.includes(appError.code)) throw error;
        await again(appError.message, appError.status);
        return;
      }
      kit.startSession(res, login.token);
      res.redirect(303, '/board');
    } catch (error) {
      kit.fail(req, res, error, null);
    }
  });
}
