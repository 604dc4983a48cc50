import { reviewerGroupInputSchema } from '@loopgate/shared';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { createReviewerGroup, listReviewerGroups, setReviewerGroupMembers } from '../../domain/approvals/queues.js';
import { renameReviewerGroup } from '../../domain/approvals/rename-group.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { listMembers } from '../../domain/reviewers/members.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type SettingsGroupsView, signedIn } from '../kit/view-models.js';

/** Ticked checkboxes: none, one (a string) or several (an array). */
const ticked = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
  .catch([]);
const createForm = z.object({ name: formText.transform((text) => text.trim()), members: ticked });
const membersForm = z.object({ members: ticked });
const renameForm = z.object({ name: formText.transform((text) => text.trim()) });
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin'))
    throw new AppError('forbidden', 'Only admins manage reviewer groups');
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);
const noticeHref = (notice: string) => `/settings/groups?notice=${encodeURIComponent(notice)}`;

/**
 * /settings/groups: the workspace's reviewer groups, a form to create one, and per group its members
 * picked from the workspace's users, over the same use cases as the groups API (and audited by them).
 * API keys in a group are listed and kept: the page changes only which users belong.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendGroups(
    res: Response,
    web: SessionPrincipal,
    extra: Pick<SettingsGroupsView, 'notice' | 'error' | 'form'> = {},
    status = 200,
  ): Promise<void> {
    const [groups, members] = await Promise.all([
      listReviewerGroups(deps, web.principal),
      listMembers(deps, web.principal),
    ]);
    kit.send(
      res,
      TEMPLATES.settingsGroups,
      {
        ...signedIn(web),
        users: members.map((m) => ({
          id: m.userId,
          label: m.name ? `${m.name} <${m.email}>` : m.email,
          role: m.role,
          deactivated: m.deactivatedAt !== null,
        })),
        groups: groups.map((g) => ({
          name: g.name,
          userIds: g.members.filter((m) => m.type === 'user').map((m) => m.id),
          keys: g.members.filter((m) => m.type === 'api_key').map((m) => (m.name ? `${m.name} (${m.id})` : m.id)),
        })),
        ...extra,
      },
      status,
    );
  }

  /** Runs a change; a refusal the admin can fix (a bad name, a taken one) shows the page again with it. */
  async function attempt(
    res: Response,
    web: SessionPrincipal,
    work: () => Promise<string>,
    form?: SettingsGroupsView['form'],
  ) {
    try {
      res.redirect(303, noticeHref(await work()));
    } catch (error) {
      const appError = toAppError(error);
      if (!['conflict', 'validation_failed', 'not_found'].includes(appError.code)) throw error;
      await sendGroups(res, web, { error: appError.message, form }, appError.status);
    }
  }

  router.get(
    '/settings/groups',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await sendGroups(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/settings/groups',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const input = readForm(createForm, req.body);
      await attempt(
        res,
        web,
        async () => {
          const parsed = reviewerGroupInputSchema.safeParse(input);
          if (!parsed.success) {
            throw new AppError(
              'validation_failed',
              'Group names use lower-case letters, digits and dashes (e.g. "compliance" or "tier-2")',
            );
          }
          await createReviewerGroup(deps, web.principal, parsed.data, requestIdOf(req));
          return `Group "${parsed.data.name}" created`;
        },
        input,
      );
    }),
  );

  // Rename: queue configs and open tasks refer to a group by name, and follow in the same transaction.
  router.post(
    '/settings/groups/:name/rename',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const from = String(req.params.name);
      const { name } = readForm(renameForm, req.body);
      await attempt(res, web, async () => {
        const { group, queues, tasks } = await renameReviewerGroup(deps, web.principal, from, name, requestIdOf(req));
        if (group.name === from) return `"${from}" already has that name`;
        const followed = [
          queues.length > 0 ? `queue${queues.length === 1 ? '' : 's'} ${queues.join(', ')}` : '',
          tasks > 0 ? `${tasks} open task${tasks === 1 ? '' : 's'}` : '',
        ].filter(Boolean);
        return `Group "${from}" is now "${group.name}"${followed.length > 0 ? `; ${followed.join(' and ')} updated` : ''}`;
      });
    }),
  );

  router.post(
    '/settings/groups/:name/members',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const name = String(req.params.name);
      const { members } = readForm(membersForm, req.body);
      await attempt(res, web, async () => {
        const group = (await listReviewerGroups(deps, web.principal)).find((g) => g.name === name);
        if (!group) throw new AppError('not_found', `There is no reviewer group "${name}"`);
        const keys = group.members.filter((m) => m.type === 'api_key').map((m) => m.id);
        await setReviewerGroupMembers(deps, web.principal, name, [...members, ...keys], requestIdOf(req));
        return `Members of "${name}" saved`;
      });
    }),
  );
}
