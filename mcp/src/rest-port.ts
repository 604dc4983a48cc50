import type { CreateTaskInput, DecisionInput, Task, TaskPage } from '@loopgate/shared';
import { LoopgateCallError, type LoopgatePort } from './port.js';

/** The Loopgate port over the REST API with an API key: what the stdio server (`loopgate-mcp`) uses. */
export function restPort(options: { url: string; apiKey: string; fetch?: typeof fetch }): LoopgatePort {
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetch ?? fetch;
  const segment = (id: string) => encodeURIComponent(id);

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
    let answer: Response;
    try {
      answer = await send(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${options.apiKey}`,
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...init.headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new Error(
        `Loopgate at ${base} could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const text = await answer.text();
    if (!answer.ok) {
      let problem: { code?: string; title?: string; detail?: string; errors?: { path: string; message: string }[] } =
        {};
      try {
        problem = JSON.parse(text) as typeof problem;
      } catch {
        // Not problem+json (a proxy's page): the status alone says it.
      }
      throw new LoopgateCallError(
        answer.status,
        problem.code ?? 'http_error',
        problem.detail ?? problem.title ?? (answer.statusText || 'request failed'),
        problem.errors ?? [],
      );
    }
    return JSON.parse(text) as T;
  }

  return {
    createTask: (input: CreateTaskInput, idempotencyKey) =>
      call<Task>(
        'POST',
        '/api/v1/tasks',
        input,
        idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : {},
      ),
    getTask: (id) => call<Task>('GET', `/api/v1/tasks/${segment(id)}`),
    waitForDecision: (id, timeoutSeconds, signal) =>
      call<Task>(
        'GET',
        `/api/v1/tasks/${segment(id)}/wait?timeout=${timeoutSeconds}`,
        undefined,
        signal ? { signal } : {},
      ),
    listPending(query) {
      const params = new URLSearchParams({ status: query.status, sort: 'urgency', limit: String(query.limit) });
      if (query.queue) params.set('queue', query.queue);
      if (query.cursor) params.set('cursor', query.cursor);
      return call<TaskPage>('GET', `/api/v1/tasks?${params}`);
    },
    decide: (id, decision: DecisionInput) => call<Task>('POST', `/api/v1/tasks/${segment(id)}/decision`, decision),
    nextTask: async () => (await call<{ data: Task | null }>('GET', '/api/v1/tasks/next')).data,
    reviewUrl: (id) => `${base}/tasks/${segment(id)}`,
  };
}
