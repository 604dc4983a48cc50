import { externalReviewersSettingsSchema, updateExternalReviewersInputSchema } from '@loopgate/shared';
import { getExternalReviewers, updateExternalReviewers } from '../domain/reviewers/external-reviewers.js';
import type { Repositories } from '../domain/store.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

interface Deps {
  store: { read: Repositories; transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> };
  clock: () => number;
}

/** The workspace setting externalReviewers: who a task may name as a reviewer without being a member. */
export function externalReviewerRoutes(deps: Deps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/settings/external-reviewers',
      summary: 'Who a task may name as an external (guest) reviewer: addresses and @domains; empty: off',
      tags: ['settings'],
      permission: 'workspace:admin',
      responses: {
        200: { description: 'The allowlist', schema: externalReviewersSettingsSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        return { status: 200, body: await getExternalReviewers(deps, principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/settings/external-reviewers',
      summary:
        'Replace the external reviewers allowlist (e-mail addresses, or domains written @partner.example); send allow: [] to turn it off',
      tags: ['settings'],
      permission: 'workspace:admin',
      body: updateExternalReviewersInputSchema,
      responses: {
        200: { description: 'The allowlist', schema: externalReviewersSettingsSchema },
        ...problemResponses(400, 401, 403, 415),
      },
      async handler({ principal, body, requestId }) {
        return { status: 200, body: await updateExternalReviewers(deps, principal, body, requestId) };
      },
    }),
  ];
}
