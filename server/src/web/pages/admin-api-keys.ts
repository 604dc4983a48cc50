import { type Actor, roleSchema } from '@loopgate/shared';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { ApiKeyRecord } from '../../domain/admin/admin-ports.js';
import { issueApiKey, listApiKeys, revokeApiKey } from '../../domain/admin/api-keys.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type AdminApiKeysView, type ApiKeyRowView, signedIn } from '../kit/view-models.js';

/** The create form: the name as typed (the use case trims and checks it), a role the page knows. */
const createForm = z.object({
  name: formText.transform((text) => text.trim()),
  role: roleSchema.catch('viewer'),
});
const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});
const MAX_NAME = 200;

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins manage API keys');
}

/** Who created a key, in words: a person's name or e-mail, "operator (CLI)", or unknown for old keys. */
export function createdByLabel(actor: Actor | null): string {
  if (!actor) return 'unknown (before this was recorded)';
  if (actor.type === 'system') return actor.name === 'operator-cli' ? 'operator (CLI)' : (actor.name ?? 'system');
  return actor.name ?? actor.id ?? actor.type;
}

function rowOf(record: ApiKeyRecord): ApiKeyRowView {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    prefix: record.prefix,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    createdBy: createdByLabel(record.createdBy),
  };
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);

const pageHref = (notice: string) => `/admin/api-keys?notice=${encodeURIComponent(notice)}`;

/**
 * /admin/api-keys: the workspace's active keys (never a secret), a form that creates one and shows
 * its secret this once, and revocation behind a confirmation page, all over domain/admin/api-keys.ts
 * (which writes the audit entry in the same transaction and tells every process to forget a revoked key).
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendKeys(
    res: Response,
    web: SessionPrincipal,
    extra: Pick<AdminApiKeysView, 'notice' | 'error' | 'form' | 'created'> = {},
    status = 200,
  ): Promise<void> {
    const keys = (await listApiKeys(deps, web.principal)).map(rowOf);
    kit.send(res, TEMPLATES.adminApiKeys, { ...signedIn(web), keys, maxName: MAX_NAME, ...extra }, status);
  }

  async function findKey(web: SessionPrincipal, id: string): Promise<ApiKeyRecord> {
    const key = (await listApiKeys(deps, web.principal)).find((k) => k.id === id);
    if (!key) throw new AppError('not_found', 'That API key does not exist or is revoked already');
    return key;
  }

  router.get(
    '/admin/api-keys',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await sendKeys(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  // The answer holds the secret: it is rendered here (no-store, like every page), never put in a redirect's URL.
  router.post(
    '/admin/api-keys',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const input = readForm(createForm, req.body);
      if (input.name === '' || input.name.length > MAX_NAME) {
        await sendKeys(
          res,
          web,
          {
            error: input.name === '' ? 'Give the key a name' : `Names are at most ${MAX_NAME} characters`,
            form: input,
          },
          400,
        );
        return;
      }
      try {
        const { record, key } = await issueApiKey(deps, web.principal, input, requestIdOf(req));
        await sendKeys(res, web, { created: { ...rowOf(record), key } }, 201);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code !== 'validation_failed') throw error;
        await sendKeys(res, web, { error: appError.message, form: input }, appError.status);
      }
    }),
  );

  router.get(
    '/admin/api-keys/:id/revoke',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const key = await findKey(web, String(req.params.id));
      kit.send(res, TEMPLATES.adminApiKeyRevoke, { ...signedIn(web), key: rowOf(key) });
    }),
  );

  router.post(
    '/admin/api-keys/:id/revoke',
    kit.form,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const key = await findKey(web, String(req.params.id));
      await revokeApiKey(deps, web.principal, key.id, requestIdOf(req));
      res.redirect(303, pageHref(`Key "${key.name}" (${key.prefix}…) revoked: it no longer works`));
    }),
  );
}
