import { ERROR_CODES, PROBLEM_CONTENT_TYPE } from '@loopgate/shared';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (validation_failed, malformed_json)',
  401: 'No valid API key or session (unauthorized)',
  403: 'The role does not allow this (forbidden)',
  404: 'No such resource in this workspace (not_found)',
  409: 'Conflict (task_already_decided, idempotency_request_in_flight, conflict, revoke_window_closed, grant_refused)',
  413: 'The body is larger than the limit (payload_too_large)',
  415: 'The body is not JSON (unsupported_media_type)',
  422: 'Idempotency-Key reused with another body (idempotency_key_reused)',
  423: 'An admin has halted new tasks here (halted); the detail names the halt, who set it and since when',
  503: 'Not ready (service_unavailable)',
};

/** Problem responses for the OpenAPI document, by status. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description:
          DESCRIPTIONS[status] ??
          Object.entries(ERROR_CODES)
            .filter(([, v]) => v.status === status)
            .map(([k]) => k)
            .join(', '),
        contentType: PROBLEM_CONTENT_TYPE,
      },
    ]),
  );
}
