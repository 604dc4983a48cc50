/**
 * The closed list of API error codes. Clients (the n8n node, the Zapier app, anyone's script) switch on
 * `code`, so a code, once published, keeps its meaning; add new ones, never repurpose old ones.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Your role does not allow this' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  task_already_decided: { status: 409, title: 'The task has already been decided' },
  idempotency_request_in_flight: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
  },
  conflict: { status: 409, title: 'The resource already exists' },
  already_voted: { status: 409, title: 'You have already voted on this task' },
  task_claimed: { status: 409, title: 'Another reviewer has claimed this task' },
  separation_of_duties: { status: 403, title: 'Separation of duties: you may not approve this task' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  idempotency_key_reused: {
    status: 422,
    title: 'This Idempotency-Key was already used with a different request',
  },
  callback_url_refused: {
    status: 422,
    title: 'The callback or webhook URL points at an address Loopgate may not call',
  },
  webhook_signature_invalid: { status: 401, title: 'The request signature is missing or invalid' },
  halted: { status: 423, title: 'An administrator has halted new tasks here' },
  grant_refused: { status: 409, title: 'A standing approval cannot be given here' },
  revoke_window_closed: { status: 409, title: 'The approval is too old to revoke' },
  rate_limited: { status: 429, title: 'Too many requests' },
  csrf_token_invalid: { status: 403, title: 'The form expired or did not come from Loopgate; reload and try again' },
  review_link_invalid: { status: 410, title: 'This review link has been used, has expired or is not valid' },
  invitation_invalid: { status: 410, title: 'This invitation has been used, has expired or is not valid' },
  reviewer_not_member: {
    status: 400,
    title: 'A named reviewer is not a member of the workspace and not on its external reviewers allowlist',
  },
  guest_not_allowed: { status: 403, title: 'This approval step does not take decisions from external reviewers' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'The service is not ready' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const errorCodes = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** One field-level problem, e.g. `{ path: "confidence", message: "Too big: expected number to be <=1" }`. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details as Loopgate sends them, with the stable `code` extension. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  instance?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemTypeFor(code: ErrorCode): string {
  return `urn:loopgate:problem:${code}`;
}
