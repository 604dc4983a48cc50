import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { DEFAULT_MAILS_PER_HOUR } from '../../domain/admin/admin-ports.js';
import { MIN_PASSWORD_LENGTH } from '../../domain/admin/users.js';
import { changeOwnPassword } from '../../domain/reviewers/account.js';
import { MAX_MAILS_PER_HOUR, updateMailSettings } from '../../domain/reviewers/mail-settings.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, queryText, readForm } from '../kit/forms.js';
import { clientAddress, type PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type AccountView, signedIn } from '../kit/view-models.js';

const passwordForm = z.object({ currentPassword: formText, newPassword: formText, confirmPassword: formText });
const settingsForm = z.object({ timeZone: formText, mailMode: formText, mailsPerHour: formText });
const noticeQuery = z.object({ notice: queryText(200) });

/** What the forms answer that the user fixes in the form; anything else is the error page. */
const FORM_ERRORS = ['validation_failed', 'rate_limited'];

/**
 * /account: any signed-in user changes their own password (the current one required; other sessions
 * end) and the time zone and digest settings review mail uses. Problems show beside each field and
 * everything typed comes back, except passwords.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendAccount(
    res: Response,
    web: SessionPrincipal,
    extra: Partial<Pick<AccountView, 'notice' | 'failed' | 'fieldErrors' | 'settings'>> = {},
    status = 200,
  ): Promise<void> {
    const [own, workspaceZone] = await Promise.all([
      deps.store.read.users.findMailSettings(web.user.id),
      deps.store.read.workspaces.findTimeZone(web.principal.workspaceId),
    ]);
    kit.send(
      res,
      TEMPLATES.account,
      {
        ...signedIn(web),
        fieldErrors: {},
        minPasswordLength: MIN_PASSWORD_LENGTH,
        maxMailsPerHour: MAX_MAILS_PER_HOUR,
        defaultMailsPerHour: DEFAULT_MAILS_PER_HOUR,
        fallbackTimeZone: workspaceZone ?? 'UTC',
        settings: {
          timeZone: own?.timeZone ?? '',
          mailMode: own?.mailMode ?? 'each',
          mailsPerHour: own?.mailsPerHour == null ? '' : String(own.mailsPerHour),
        },
        ...extra,
      },
      status,
    );
  }

  /** The form's problems by field, or rethrows what the form cannot show. */
  function fieldErrorsOf(error: unknown): { status: number; fieldErrors: Record<string, string> } {
    const appError = toAppError(error);
    if (!FORM_ERRORS.includes(appError.code)) throw error;
    const fieldErrors: Record<string, string> = {};
    for (const p of appError.fieldErrors ?? []) fieldErrors[p.path] ??= p.message;
    if (Object.keys(fieldErrors).length === 0) fieldErrors.currentPassword = appError.message;
    return { status: appError.status, fieldErrors };
  }

  const back = (res: Response, notice: string) => res.redirect(303, `/account?notice=${encodeURIComponent(notice)}`);

  router.get(
    '/account',
    kit.page(async (req: Request, res, web) => {
      await sendAccount(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/account/password',
    kit.form,
    kit.page(async (req, res, web) => {
      const input = readForm(passwordForm, req.body);
      try {
        await changeOwnPassword({ store: deps.store, clock: deps.clock, limiter: kit.limiter }, web, {
          ...input,
          clientAddress: clientAddress(req),
        });
      } catch (error) {
        const { status, fieldErrors } = fieldErrorsOf(error);
        await sendAccount(res, web, { failed: 'password', fieldErrors }, status);
        return;
      }
      back(res, 'Password changed. You were logged out everywhere else; this browser stays logged in.');
    }),
  );

  router.post(
    '/account/settings',
    kit.form,
    kit.page(async (req, res, web) => {
      const input = readForm(settingsForm, req.body);
      try {
        await updateMailSettings(deps, web.user.id, input);
      } catch (error) {
        const { status, fieldErrors } = fieldErrorsOf(error);
        await sendAccount(res, web, { failed: 'settings', fieldErrors, settings: input }, status);
        return;
      }
      back(res, 'Settings saved.');
    }),
  );
}
