import { type Actor, createHaltInputSchema } from '@loopgate/shared';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { listQueues } from '../../domain/approvals/queues.js';
import type { HaltRecord } from '../../domain/halts/halt-ports.js';
import { haltTarget, listHalts, resumeHalt } from '../../domain/halts/halts.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { iso } from '../../domain/kernel/iso-time.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, optionalFormText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type HaltRow, type SettingsHaltsView, signedIn } from '../kit/view-models.js';

const stopForm = z.object({ scope: formText, value: optionalFormText, reason: optionalFormText });
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins halt and resume');
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);
const noticeHref = (notice: string) => `/settings/halts?notice=${encodeURIComponent(notice)}`;
const nameOf = (actor: Actor) => actor.name ?? actor.type;

function whatIsHalted(halt: Pick<HaltRecord, 'scope' | 'value'>): string {
  return halt.scope === 'workspace' ? 'the whole workspace' : `${halt.scope} ${halt.value}`;
}

function toRow(halt: HaltRecord): HaltRow {
  return {
    id: halt.id,
    what: whatIsHalted(halt),
    reason: halt.reason,
    by: nameOf(halt.createdBy),
    since: iso(halt.createdAt),
    resumedBy: halt.resumedBy ? nameOf(halt.resumedBy) : null,
    resumedAt: halt.resumedAt === null ? null : iso(halt.resumedAt),
  };
}

/**
 * /settings/halts: the stop button. One click stops new tasks from the whole workspace or one queue;
 * a source or an agent id is typed in. Each active halt has its Resume button. The same use cases as
 * `POST /api/v1/halts`, so the page's halts are audited and enforced exactly like the API's.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendHalts(
    res: Response,
    web: SessionPrincipal,
    extra: Pick<SettingsHaltsView, 'notice' | 'error'> = {},
    status = 200,
  ): Promise<void> {
    const [halts, queues] = await Promise.all([listHalts(deps, web.principal), listQueues(deps, web.principal)]);
    const active = halts.filter((h) => h.resumedAt === null);
    const haltedQueues = new Set(active.filter((h) => h.scope === 'queue').map((h) => h.value));
    kit.send(
      res,
      TEMPLATES.settingsHalts,
      {
        ...signedIn(web),
        active: active.map(toRow),
        resumed: halts
          .filter((h) => h.resumedAt !== null)
          .slice(0, 20)
          .map(toRow),
        queues: queues.map((q) => ({ name: q.name, halted: haltedQueues.has(q.name) })),
        workspaceHalted: active.some((h) => h.scope === 'workspace'),
        ...extra,
      },
      status,
    );
  }

  router.get(
    '/settings/halts',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await sendHalts(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/settings/halts',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const parsed = createHaltInputSchema.safeParse(readForm(stopForm, req.body));
      if (!parsed.success) {
        const message = 'Say what to stop: the workspace, or a queue, source or agent id';
        await sendHalts(res, web, { error: message }, 400);
        return;
      }
      const { halt, created } = await haltTarget(deps, web.principal, parsed.data, requestIdOf(req));
      const what = whatIsHalted(halt);
      res.redirect(303, noticeHref(created ? `Stopped: ${what}` : `${what} was stopped already`));
    }),
  );

  router.post(
    '/settings/halts/:id/resume',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      try {
        const halt = await resumeHalt(deps, web.principal, String(req.params.id), requestIdOf(req));
        res.redirect(303, noticeHref(`Resumed: ${whatIsHalted(halt)}`));
      } catch (error) {
        const appError = toAppError(error);
        if (!['conflict', 'not_found'].includes(appError.code)) throw error;
        await sendHalts(res, web, { error: appError.message }, appError.status);
      }
    }),
  );
}
