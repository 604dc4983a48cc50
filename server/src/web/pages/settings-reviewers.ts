import { EXTERNAL_REVIEWERS_SETTINGS_API, type FieldError } from '@loopgate/shared';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { getExternalReviewers, updateExternalReviewers } from '../../domain/reviewers/external-reviewers.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { signedIn } from '../kit/view-models.js';

const allowForm = z.object({ allow: formText });
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) {
    throw new AppError('forbidden', 'Only admins choose who may review from outside the workspace');
  }
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);

/** "allow.3" → "Line 4: …", so a problem points at the line the admin typed. */
function lineProblems(problems: readonly FieldError[], lines: readonly string[]): string[] {
  return problems.map((problem) => {
    const index = Number(/^allow\.(\d+)$/.exec(problem.path)?.[1] ?? Number.NaN);
    return Number.isInteger(index)
      ? `Line ${index + 1} (${lines[index]?.slice(0, 80) ?? ''}): ${problem.message}`
      : problem.message;
  });
}

/**
 * /settings/reviewers: the workspace setting externalReviewers — the addresses and @domains a task
 * may name as reviewers without their being members. One entry a line; saved through the same use
 * case as POST /api/v1/settings/external-reviewers, so it is checked and audited the same way.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function send(
    res: Response,
    web: SessionPrincipal,
    state: { text?: string; notice?: string; errors?: string[] },
    status = 200,
  ): Promise<void> {
    const { allow } = await getExternalReviewers(deps, web.principal);
    kit.send(
      res,
      TEMPLATES.settingsReviewers,
      {
        ...signedIn(web),
        text: state.text ?? allow.join('\n'),
        count: allow.length,
        api: EXTERNAL_REVIEWERS_SETTINGS_API,
        notice: state.notice,
        errors: state.errors ?? [],
      },
      status,
    );
  }

  router.get(
    '/settings/reviewers',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await send(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/settings/reviewers',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const { allow: text } = readForm(allowForm, req.body);
      const lines = text.split(/\r?\n/).map((line) => line.trim());
      try {
        const saved = await updateExternalReviewers(deps, web.principal, { allow: lines }, requestIdOf(req));
        const notice =
          saved.allow.length === 0
            ? 'External reviewers are off: tasks may name members only'
            : `Saved: ${saved.allow.length} ${saved.allow.length === 1 ? 'entry' : 'entries'}`;
        res.redirect(303, `/settings/reviewers?notice=${encodeURIComponent(notice)}`);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code !== 'validation_failed') throw error;
        await send(res, web, { text, errors: lineProblems(appError.fieldErrors ?? [], lines) }, 400);
      }
    }),
  );
}
