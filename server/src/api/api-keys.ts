import { apiKeyListSchema, apiKeyWithSecretSchema, createApiKeyInputSchema } from '@loopgate/shared';
import { z } from 'zod';
import {
  type ApiKeyServiceDeps,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
  toApiKeyView,
} from '../domain/admin/api-keys.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The workspace's API keys, for admins: list (never a secret), create (the key shown once), revoke. */
export function apiKeyRoutes(deps: ApiKeyServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/api-keys',
      summary: "The workspace's active API keys, oldest first (never the key itself)",
      tags: ['auth'],
      permission: 'workspace:admin',
      responses: { 200: { description: 'The keys', schema: apiKeyListSchema }, ...problemResponses(401, 403) },
      async handler({ principal }) {
        return { status: 200, body: { data: (await listApiKeys(deps, principal)).map(toApiKeyView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/api-keys',
      summary: 'Create an API key; the answer holds the key, shown this once',
      tags: ['auth'],
      permission: 'workspace:admin',
      carriesSecret: true,
      body: createApiKeyInputSchema,
      responses: {
        201: { description: 'Created', schema: apiKeyWithSecretSchema },
        ...problemResponses(400, 401, 403, 415),
      },
      async handler({ principal, body, requestId }) {
        const { record, key } = await issueApiKey(deps, principal, body, requestId);
        return { status: 201, body: { ...toApiKeyView(record), key } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/api-keys/{id}',
      summary: 'Revoke an API key: refused from the next request on, on every server process',
      tags: ['auth'],
      permission: 'workspace:admin',
      params: idParams,
      responses: { 204: { description: 'Revoked' }, ...problemResponses(401, 403, 404) },
      async handler({ principal, params, requestId }) {
        await revokeApiKey(deps, principal, params.id, requestId);
        return { status: 204 };
      },
    }),
  ];
}
