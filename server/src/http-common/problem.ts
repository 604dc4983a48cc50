import { ERROR_CODES, type ErrorCode, PROBLEM_CONTENT_TYPE, type Problem, problemTypeFor } from '@loopgate/shared';
import type { ErrorRequestHandler, Response } from 'express';
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

/** The one place where errors become HTTP responses. Unexpected errors are logged, never shown. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.code === 'internal_error') (req.log ?? logger).error({ err: error }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, appError, req.originalUrl);
  };
}
