import { httpUrlSchema, slugSchema } from '@loopgate/shared';
import { z } from 'zod';
import {
  createSlackIntegration,
  deleteSlackIntegration,
  linkSlackUser,
  listSlackAudit,
  listSlackIntegrations,
  type SlackDeps,
  toSlackIntegrationView,
} from '../domain/slack/integrations.js';
import {
  handleSlackInteraction,
  SLACK_REFUSAL_REASONS,
  type SlackInteractionDeps,
} from '../domain/slack/interactions.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

export const SLACK_INTERACTIONS_PATH = '/api/v1/integrations/slack/interactions';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });

const createSlackInput = z
  .strictObject({
    webhookUrl: httpUrlSchema.describe('Slack incoming-webhook URL (https://hooks.slack.com/services/…)'),
    signingSecret: z.string().min(8).max(200).describe("The Slack app's signing secret (Basic Information page)"),
    queue: slugSchema.optional().describe('Only tasks of this queue; all queues when omitted'),
  })
  .meta({ id: 'CreateSlackIntegrationInput' });

const slackIntegrationSchema = z
  .object({ id: z.string(), queue: z.string().nullable(), webhookUrl: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'SlackIntegration' });

const linkInput = z
  .strictObject({ slackUserId: z.string().min(1).max(64), email: z.email() })
  .meta({ id: 'SlackUserLinkInput' });

export function slackRoutes(deps: SlackDeps & SlackInteractionDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: SLACK_INTERACTIONS_PATH,
      summary: "Slack's interactivity request URL: button clicks, signed with the Slack app's signing secret",
      tags: ['integrations'],
      permission: null,
      headers: [
        { name: 'X-Slack-Signature', description: 'v0=<hex HMAC-SHA256 of "v0:timestamp:body">' },
        { name: 'X-Slack-Request-Timestamp', description: 'unix seconds; at most 5 minutes old' },
      ],
      responses: {
        200: { description: 'Handled (the Slack message is updated through its response_url)' },
        ...problemResponses(400, 401, 429),
      },
      async handler({ req }) {
        const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        const outcome = await handleSlackInteraction(deps, {
          rawBody,
          timestamp: req.get('x-slack-request-timestamp'),
          signature: req.get('x-slack-signature'),
          clientAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
        });
        return { status: 200, body: { outcome } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/integrations/slack',
      summary: 'Post new review tasks (of one queue, or all) to a Slack incoming webhook with Approve/Reject buttons',
      tags: ['integrations'],
      permission: 'workspace:admin',
      // A Slack incoming-webhook URL is itself a credential: whoever holds it posts to the channel.
      carriesSecret: true,
      body: createSlackInput,
      responses: {
        201: { description: 'Created', schema: slackIntegrationSchema },
        ...problemResponses(400, 401, 403, 415, 422),
      },
      async handler({ principal, body, requestId }) {
        return {
          status: 201,
          body: toSlackIntegrationView(await createSlackIntegration(deps, principal, body, requestId), principal),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/integrations/slack',
      summary: "The workspace's Slack integrations",
      tags: ['integrations'],
      permission: 'workspace:admin',
      carriesSecret: true,
      responses: {
        200: { description: 'Integrations', schema: z.object({ data: z.array(slackIntegrationSchema) }) },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        return {
          status: 200,
          body: {
            data: (await listSlackIntegrations(deps, principal)).map((i) => toSlackIntegrationView(i, principal)),
          },
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/integrations/slack/{id}',
      summary: 'Remove a Slack integration',
      tags: ['integrations'],
      permission: 'workspace:admin',
      params: idParams,
      responses: { 204: { description: 'Removed' }, ...problemResponses(401, 403, 404) },
      async handler({ principal, params, requestId }) {
        await deleteSlackIntegration(deps, principal, params.id, requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/integrations/slack/{id}/users',
      summary: "Link a Slack user id to a workspace member; that member's role decides what their clicks may do",
      tags: ['integrations'],
      permission: 'workspace:admin',
      params: idParams,
      body: linkInput,
      responses: {
        200: {
          description: 'Linked',
          schema: z.object({
            integrationId: z.string(),
            slackUserId: z.string(),
            userId: z.string(),
            email: z.string(),
            role: z.string(),
          }),
        },
        ...problemResponses(400, 401, 403, 404, 415),
      },
      async handler({ principal, params, body, requestId }) {
        return { status: 200, body: await linkSlackUser(deps, principal, params.id, body, requestId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/integrations/slack/audit',
      summary: 'Slack interactions (newest first), and refused requests counted per reason and hour over the last day',
      tags: ['integrations'],
      permission: 'workspace:admin',
      responses: {
        200: {
          description: 'Audit entries; refused requests appear as entries only as the first few samples of each hour',
          schema: z.object({
            data: z.array(
              z.object({ source: z.string(), outcome: z.string(), detail: z.string(), createdAt: z.iso.datetime() }),
            ),
            refusals: z.array(
              z.object({
                source: z.string(),
                reason: z.enum(SLACK_REFUSAL_REASONS),
                windowStart: z.iso.datetime(),
                refused: z.number().int(),
                lastAt: z.iso.datetime(),
              }),
            ),
          }),
        },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        const { entries, refusals } = await listSlackAudit(deps, principal);
        return {
          status: 200,
          body: {
            data: entries.map((r) => ({
              source: r.source,
              outcome: r.outcome,
              detail: r.detail,
              createdAt: new Date(r.createdAt).toISOString(),
            })),
            refusals: refusals.map((r) => ({
              source: r.source,
              reason: r.reason,
              windowStart: new Date(r.windowStart).toISOString(),
              refused: r.refused,
              lastAt: new Date(r.lastAt).toISOString(),
            })),
          },
        };
      },
    }),
  ];
}
