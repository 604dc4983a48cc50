import type { Problem } from '@loopgate/shared';
import type { BeforeRequestMiddleware, Bundle, HttpResponse, ZObject } from 'zapier-platform-core';

/** The Loopgate base URL of the connection, without a trailing slash. */
export function baseUrl(bundle: Bundle): string {
  const raw = (bundle.authData.baseUrl ?? '').trim();
  return raw.replace(/\/+$/, '');
}

/** An absolute URL under the connection's Loopgate server, e.g. apiUrl(bundle, '/api/v1/tasks'). */
export function apiUrl(bundle: Bundle, path: string): string {
  return `${baseUrl(bundle)}${path}`;
}

/**
 * Adds the API key to requests bound for the connection's own server, and only there: a user-typed
 * URL elsewhere in a Zap must never receive the key.
 */
export const addApiKey: BeforeRequestMiddleware = (request, _z, bundle) => {
  const base = baseUrl(bundle);
  const apiKey = bundle.authData.apiKey;
  if (apiKey && base && typeof request.url === 'string' && request.url.startsWith(`${base}/`)) {
    request.headers = { ...request.headers, Authorization: `Bearer ${apiKey}`, Accept: 'application/json' };
  }
  return request;
};

function problemOf(response: HttpResponse): Problem | null {
  const contentType = response.getHeader('content-type') ?? '';
  if (!/json/i.test(contentType)) return null;
  try {
    const body = JSON.parse(response.content) as Partial<Problem>;
    return typeof body.code === 'string' && typeof body.status === 'number' ? (body as Problem) : null;
  } catch {
    return null;
  }
}

/** "detail (path: message; …)": the words the server used, field by field, so the user can fix the input. */
export function problemMessage(problem: Problem): string {
  const base = problem.detail ?? problem.title;
  const fields = (problem.errors ?? []).map((error) => `${error.path}: ${error.message}`);
  return fields.length > 0 ? `${base} (${fields.join('; ')})` : base;
}

/** A halt, in the words the n8n node uses too: what is halted, and that only an admin's resume helps. */
export function haltedMessage(problem: Problem): string {
  return `Loopgate halted: ${problemMessage(problem).replace(/\.$/, '')}. Retrying will not help: ask a Loopgate admin to resume it (Settings → Halts).`;
}

/**
 * Turns Loopgate's problem+json answers into Zapier errors that carry the server's stable `code`, so
 * a Zap's error, the n8n node and the API all say the same thing. A rejected key becomes
 * ExpiredAuthError so Zapier asks the user to reconnect instead of retrying.
 */
export function throwForProblem(response: HttpResponse, z: ZObject): HttpResponse {
  if (response.status < 400) return response;
  const problem = problemOf(response);
  if (!problem) return response; // not Loopgate's answer (a proxy?): Zapier's own status error follows
  if (problem.code === 'unauthorized') {
    throw new z.errors.ExpiredAuthError(`${problemMessage(problem)} [unauthorized]`);
  }
  if (problem.code === 'halted') {
    // HaltedError, not Error: the run stops without counting as the Zap's failure, so Zapier neither
    // retries it nor turns the Zap off while an admin has Loopgate halted; the run shows as Halted.
    throw new z.errors.HaltedError(`${haltedMessage(problem)} [halted]`);
  }
  throw new z.errors.Error(problemMessage(problem), problem.code, problem.status);
}

/** Whether `error` is Loopgate's 404 (z.errors.Error carries the server's code in its JSON message). */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && /"code":"not_found"/.test(error.message);
}

/** JSON request to the connection's server; non-2xx answers throw through throwForProblem. */
export async function callApi<T>(
  z: ZObject,
  bundle: Bundle,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options: { body?: unknown; params?: Record<string, string | number>; headers?: Record<string, string> } = {},
): Promise<T> {
  const response = await z.request<T>({
    url: apiUrl(bundle, path),
    method,
    params: options.params,
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return (response.status === 204 ? undefined : response.data) as T;
}
