import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Permission, Principal } from '../domain/kernel/access.js';
import { authorize } from '../domain/kernel/access.js';
import { AppError } from '../domain/kernel/errors.js';
import { fieldErrorsOf } from '../http-common/field-errors.js';

/**
 * A route is declared once: method, path, who may call it, what it accepts and what it answers.
 * The same declaration validates requests and feeds the OpenAPI document, so the two cannot drift.
 */
export interface RouteSpec<
  Body extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Params extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tags: string[];
  /** null: public. Otherwise the permission the caller's role must grant. */
  permission: Permission | null;
  /**
   * The answer holds a secret (a new API key, a signing secret, a credential URL): it is sent with
   * `Cache-Control: no-store`, so no browser, proxy or CDN keeps a copy.
   */
  carriesSecret?: boolean;
  body?: Body;
  query?: Query;
  params?: Params;
  headers?: { name: string; description: string }[];
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (ctx: RouteContext<z.output<Body>, z.output<Query>, z.output<Params>>) => Promise<Reply | undefined>;
}

export interface RouteContext<Body, Query, Params> {
  req: Request;
  res: Response;
  principal: Principal;
  body: Body;
  query: Query;
  params: Params;
  /** The request's X-Request-Id, for audit entries. */
  requestId: string | null;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Already-serialised JSON (e.g. a stored idempotent response), sent as is. */
  rawJson?: string;
  headers?: Record<string, string>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<Body extends z.ZodType, Query extends z.ZodType, Params extends z.ZodType>(
  spec: RouteSpec<Body, Query, Params>,
): AnyRouteSpec {
  return spec as unknown as AnyRouteSpec;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const errors = fieldErrorsOf(result.error, (path) => [where, ...path.map(String)].filter(Boolean).join('.'));
  const first = errors[0];
  throw new AppError(
    'validation_failed',
    `${errors.length} problem${errors.length === 1 ? '' : 's'} with the request${first ? `, first: ${first.path}: ${first.message}` : ''}`,
    errors,
  );
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export const ANONYMOUS: Principal = {
  workspaceId: '',
  role: 'viewer',
  actor: { type: 'system', id: null, name: 'anonymous' },
};

export function mountRoute(
  router: Router,
  spec: AnyRouteSpec,
  authenticate: (req: Request) => Promise<Principal>,
): void {
  const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
  const handler: RequestHandler = async (req, res, next) => {
    try {
      if (spec.carriesSecret) res.set('Cache-Control', 'no-store');
      const principal = spec.permission === null ? ANONYMOUS : await authenticate(req);
      if (spec.permission !== null) authorize(principal, spec.permission);
      let rawBody: unknown = {};
      if (spec.body) {
        if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
          throw new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
        }
        rawBody = req.body ?? {};
      }
      const ctx = {
        req,
        res,
        principal,
        body: spec.body ? parse(spec.body, rawBody, '') : undefined,
        query: spec.query ? parse(spec.query, req.query, 'query') : undefined,
        params: spec.params ? parse(spec.params, req.params, 'params') : req.params,
        requestId: typeof req.id === 'string' ? req.id : null,
      };
      const reply = await spec.handler(ctx);
      if (!reply || res.headersSent) return;
      if (reply.headers) res.set(reply.headers);
      res.status(reply.status);
      if (reply.rawJson !== undefined) res.type('application/json').send(reply.rawJson);
      else if (reply.body === undefined) res.end();
      else res.json(reply.body);
    } catch (error) {
      next(error);
    }
  };
  router[spec.method](expressPath, handler);
}
