import { ERROR_CODES, isErrorCode } from '@loopgate/shared/errors';

/** What the nodes show for a failed Loopgate call: the server's stable `code` and its message. */
export interface LoopgateFailure {
  /** One of the server's error codes (shared/src/errors.ts), or `http_<status>` for a non-problem answer. */
  code: string;
  httpStatus: number;
  message: string;
  description: string | undefined;
}

interface ProblemBody {
  code?: unknown;
  title?: unknown;
  detail?: unknown;
  errors?: unknown;
}

function asProblem(body: unknown): ProblemBody | undefined {
  if (typeof body === 'string') {
    try {
      return asProblem(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as ProblemBody) : undefined;
}

/** What the user can do about a code, where the server's words alone do not say it. */
const NEXT_STEP: Partial<Record<string, string>> = {
  halted:
    'An admin pressed the stop button for this workspace, queue, source or agent, so Loopgate refuses new tasks from it. Retrying will not help: ask a Loopgate admin to resume it (Settings → Halts, or POST /api/v1/halts/{id}/resume). Tasks already waiting can still be decided.',
};

/**
 * Turns a non-2xx answer into a failure. Loopgate answers problem+json with a `code` from its closed
 * list; anything else (a proxy's HTML page, an old server) still gets a readable message.
 */
export function failureFromResponse(httpStatus: number, body: unknown): LoopgateFailure {
  const problem = asProblem(body);
  const code = isErrorCode(problem?.code) ? problem.code : `http_${httpStatus}`;
  const title =
    typeof problem?.title === 'string' ? problem.title : isErrorCode(code) ? ERROR_CODES[code].title : undefined;
  const detail = typeof problem?.detail === 'string' ? problem.detail : undefined;
  const fieldErrors = Array.isArray(problem?.errors)
    ? problem.errors
        .map((e: unknown) => {
          const entry = e as { path?: unknown; message?: unknown };
          return typeof entry?.message === 'string'
            ? `${typeof entry.path === 'string' && entry.path ? `${entry.path}: ` : ''}${entry.message}`
            : undefined;
        })
        .filter((line): line is string => line !== undefined)
    : [];
  const text = detail ?? title ?? `Loopgate answered HTTP ${httpStatus}`;
  const nextStep = NEXT_STEP[code];
  return {
    code,
    httpStatus,
    message: nextStep ? `Loopgate: halted — ${text} [${code}]` : `Loopgate: ${text} [${code}]`,
    description: nextStep ?? (fieldErrors.length > 0 ? fieldErrors.join('\n') : title !== text ? title : undefined),
  };
}
