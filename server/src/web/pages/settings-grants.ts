import type { Response, Router } from 'express';
import { z } from 'zod';
import { listGrants, revokeGrant } from '../../domain/approvals/grants.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { optionalFormText, readForm } from '../kit/forms.js';
import { toGrantRow } from '../kit/grant-rows.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type SettingsGrantsView, signedIn } from '../kit/view-models.js';

const revokeForm = z.object({ reason: optionalFormText });
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});
const noticeHref = (notice: string) => `/settings/grants?notice=${encodeURIComponent(notice)}`;

/**
 * /settings/grants: every standing approval of the workspace, the active ones with Revoke (for an
 * admin, or the reviewer who gave it). The same use cases as `GET /api/v1/grants` and its revoke.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendGrants(
    res: Response,
    web: SessionPrincipal,
    extra: Pick<SettingsGrantsView, 'notice' | 'error'> = {},
    status = 200,
  ): Promise<void> {
    const now = deps.clock();
    const grants = (await listGrants(deps, web.principal)).map((grant) =>
      toGrantRow(grant, web.principal, now, (id) => `/settings/grants/${encodeURIComponent(id)}/revoke`),
    );
    kit.send(
      res,
      TEMPLATES.settingsGrants,
      {
        ...signedIn(web),
        grants,
        ...extra,
      },
      status,
    );
  }

  router.get(
    '/settings/grants',
    kit.page(async (req, res, web) => {
      await sendGrants(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/settings/grants/:id/revoke',
    kit.form,
    kit.page(async (req, res, web) => {
      const { reason } = readForm(revokeForm, req.body);
      try {
        const grant = await revokeGrant(deps, web.principal, String(req.params.id), reason ?? null);
        res.redirect(303, noticeHref(`Revoked: standing approval ${grant.id}`));
      } catch (error) {
        const appError = toAppError(error);
        if (!['conflict', 'not_found', 'forbidden'].includes(appError.code)) throw error;
        await sendGrants(res, web, { error: appError.message }, appError.status);
      }
    }),
  );
}
