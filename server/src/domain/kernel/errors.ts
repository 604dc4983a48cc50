import { ERROR_CODES, type ErrorCode, type FieldError } from '@loopgate/shared';

/**
 * The one error type the server throws on purpose. Its `code` comes from the closed list in
 * @loopgate/shared; the HTTP layer maps it to a status and a problem+json body in one place.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly fieldErrors?: FieldError[],
    /** What the client can do about it: seconds to wait before trying again (sent as Retry-After). */
    readonly hints?: { retryAfterSeconds?: number },
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found`);
