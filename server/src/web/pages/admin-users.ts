import { ROLES, roleSchema } from '@loopgate/shared';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { inviteMember, listInvitations, withdrawInvitation } from '../../domain/reviewers/invitations.js';
import {
  deactivateMember,
  listManagedMembers,
  MAX_DISPLAY_NAME,
  reactivateMember,
  removeMember,
  renameMember,
  setMemberRole,
} from '../../domain/reviewers/members.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, optionalFormText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type AdminUsersView, signedIn } from '../kit/view-models.js';

/** A role the invite form does not know reads as the least one; the domain checks the rest. */
const inviteForm = z.object({ email: formText, name: optionalFormText, role: roleSchema.catch('viewer') });
const withdrawForm = z.object({ email: formText });
const nameForm = z.object({ name: formText });
const roleForm = z.object({ role: z.enum(ROLES, { error: 'Choose admin, reviewer or viewer' }) });
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins manage users');
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);

function noticeHref(notice: string): string {
  return `/admin/users?notice=${encodeURIComponent(notice)}`;
}

/** /admin/users: the workspace's members and their roles, and invitations (send, list, withdraw). */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendUsers(
    res: Response,
    web: SessionPrincipal,
    extra: Pick<AdminUsersView, 'notice' | 'error' | 'invite'> = {},
    status = 200,
  ): Promise<void> {
    const [members, invitations] = await Promise.all([
      listManagedMembers(deps, web.principal),
      listInvitations(deps, web.principal),
    ]);
    kit.send(
      res,
      TEMPLATES.adminUsers,
      { ...signedIn(web), members, invitations, maxName: MAX_DISPLAY_NAME, ...extra },
      status,
    );
  }

  router.get(
    '/admin/users',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await sendUsers(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  // Every add from the users page is an invitation the person accepts: the pages never set anyone's
  // password (POST /admin/users is the old "Add user" form's address; a password it sends is ignored).
  router.post(
    ['/admin/users', '/admin/users/invite'],
    kit.form,
    kit.page(async (req, res, web) => {
      const input = readForm(inviteForm, req.body);
      requireAdmin(web);
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
            onSendError: (error) => kit.log(req).warn({ err: error }, 'could not send an invitation e-mail'),
          },
          web.principal,
          input,
          requestIdOf(req),
        );
        // The same words whoever the address belongs to: nothing here may tell an admin about other workspaces.
        res.redirect(303, noticeHref(`Invitation sent to ${invited.email}`));
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error' || appError.code === 'forbidden') throw error;
        await sendUsers(res, web, { error: appError.message, invite: input }, appError.status);
      }
    }),
  );

  router.post(
    '/admin/users/invitations/withdraw',
    kit.form,
    kit.page(async (req, res, web) => {
      const { email } = readForm(withdrawForm, req.body);
      const withdrawn = await withdrawInvitation(deps, web.principal, email, requestIdOf(req));
      res.redirect(
        303,
        noticeHref(withdrawn > 0 ? `Invitation to ${email} withdrawn` : `No open invitation to ${email}`),
      );
    }),
  );

  router.post(
    '/admin/users/:id/role',
    kit.form,
    kit.page(async (req, res, web) => {
      const { role } = readForm(roleForm, req.body);
      await setMemberRole(deps, web.principal, String(req.params.id), role, requestIdOf(req));
      res.redirect(303, noticeHref('Role updated'));
    }),
  );

  /** A member change from the list: done, then back to the list with what happened, or the list with the reason. */
  function memberAction(
    path: string,
    act: (req: Request, web: SessionPrincipal, userId: string) => Promise<string>,
  ): void {
    router.post(
      `/admin/users/:id/${path}`,
      kit.form,
      kit.page(async (req, res, web) => {
        requireAdmin(web);
        const userId = String(req.params.id);
        try {
          res.redirect(303, noticeHref(await act(req, web, userId)));
        } catch (error) {
          const appError = toAppError(error);
          if (!['conflict', 'validation_failed'].includes(appError.code)) throw error;
          await sendUsers(res, web, { error: appError.message }, appError.status);
        }
      }),
    );
  }

  const labelOf = async (userId: string) => (await deps.store.read.users.findById(userId))?.email ?? 'The member';

  memberAction('deactivate', async (req, web, userId) => {
    await deactivateMember(deps, web.principal, userId, requestIdOf(req));
    return `${await labelOf(userId)} deactivated: logged out, their review links no longer work`;
  });
  memberAction('reactivate', async (req, web, userId) => {
    await reactivateMember(deps, web.principal, userId, requestIdOf(req));
    return `${await labelOf(userId)} reactivated: they can log in again`;
  });
  memberAction('remove', async (req, web, userId) => {
    const label = await labelOf(userId);
    await removeMember(deps, web.principal, userId, requestIdOf(req));
    return `${label} removed from this workspace`;
  });
  memberAction('name', async (req, web, userId) => {
    const { name } = readForm(nameForm, req.body);
    await renameMember(deps, web.principal, userId, name, requestIdOf(req));
    return `Name of ${await labelOf(userId)} saved`;
  });

  // Resending is inviting again with the invitation's role: a new link, the old one ends.
  router.post(
    '/admin/users/invitations/resend',
    kit.form,
    kit.page(async (req, res, web) => {
      const { email } = readForm(withdrawForm, req.body);
      requireAdmin(web);
      const open = (await listInvitations(deps, web.principal)).find((i) => i.email === email.trim().toLowerCase());
      if (!open) {
        res.redirect(303, noticeHref(`No open invitation to ${email}`));
        return;
      }
      const notifier = deps.notifier;
      if (!notifier) throw new AppError('service_unavailable', 'This server sends no e-mail, so it cannot resend.');
      try {
        await inviteMember(
          {
            store: deps.store,
            clock: deps.clock,
            notifier,
            publicUrl: deps.publicUrl,
            onSent: deps.onInvitationSent,
            onSendError: (error) => kit.log(req).warn({ err: error }, 'could not send an invitation e-mail'),
          },
          web.principal,
          { email: open.email, role: open.role, name: open.name ?? undefined },
          requestIdOf(req),
        );
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error' || appError.code === 'forbidden') throw error;
        await sendUsers(res, web, { error: appError.message }, appError.status);
        return;
      }
      res.redirect(303, noticeHref(`Invitation sent again to ${open.email}: a new link, the old one no longer works`));
    }),
  );
}
