import { ERROR_CODES, type ErrorCode, PROBLEM_CONTENT_TYPE, type Problem, problemTypeFor } from '@loopgate/shared';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../domain/kernel/errors.js';

/** body-parser and Express signal their own failures with `type`/`status`; name them in our codes. */
const FRAMEWORK_ERRORS: Record<string, ErrorCode> = {
  'entity.too.large': 'payload_too_large',
  'entity.parse.failed': 'malformed_json',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
};

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Express decodes path parameters with decodeURIComponent; `/tasks/%ZZ` is the client's mistake.
  if (error instanceof URIError) {
    return new AppError('validation_failed', 'The URL path is not valid percent-encoding', [
      { path: 'path', message: 'malformed percent-encoding' },
    ]);
  }
  const type = (error as { type?: unknown })?.type;
  if (typeof type === 'string' && FRAMEWORK_ERRORS[type]) {
    const code = FRAMEWORK_ERRORS[type];
    const detail =
      code === 'malformed_json' ? `The request body is not valid JSON: ${(error as Error).message}` : undefined;
    return new AppError(code, detail);
  }
  return new AppError('internal_error', 'Something went wrong on our side; the request id in the logs tells which');
}

export function sendProblem(res: Response, error: AppError, instance?: string): void {
  const problem: Problem = {
    type: problemTypeFor(error.code),
    title: ERROR_CODES[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...(error.fieldErrors ? { errors: error.fieldErrors } : {}),
  };
  const retryAfter = error.hints?.retryAfterSeconds;
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Writes an error as an HTML page in the site's layout (the web layer supplies it). */
export type HtmlErrorPage = (req: Request, res: Response, error: AppError) => Promise<void>;

/**
 * A person's browser rather than a program: not under /api/, and the Accept header prefers HTML
 * to JSON. A tie (`*\/*`, or no Accept at all, as curl and fetch send) stays JSON.
 */
export function prefersHtml(req: Request): boolean {
  return !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
}

/**
 * The one place where errors become HTTP responses. Unexpected errors are logged, never shown.
 * Content negotiation happens here too: a browser asking for a page gets `htmlPage` (an HTML
 * 404 with a link home, say) with the same status; everything else gets problem+json.
 */
export function problemHandler(logger: Logger, htmlPage?: HtmlErrorPage): ErrorRequestHandler {
  return async (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.code === 'internal_error') (req.log ?? logger).error({ err: error }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (htmlPage && prefersHtml(req)) {
      try {
        await htmlPage(req, res, appError);
        return;
      } catch (pageError) {
        (req.log ?? logger).error({ err: pageError }, 'error page failed');
        if (res.headersSent) {
          res.end();
          return;
        }
      }
    }
    sendProblem(res, appError, req.originalUrl);
  };
}
