import type {
  CancelInput,
  CreateTaskInput,
  Decision,
  DecisionInput,
  ListTasksQuery,
  RevokeInput,
  Task,
  TaskPage,
  TaskStatus,
} from '@loopgate/shared';
import { isErrorCode } from '@loopgate/shared/errors';
import { payloadDigest } from '@loopgate/shared/json';
import { isFinalStatus } from '@loopgate/shared/lifecycle';
import { LoopgateError, LoopgateHaltedError, LoopgateTimeoutError } from './errors.js';

export interface LoopgateOptions {
  /** Where Loopgate runs, e.g. `https://loopgate.example.com` (no `/api/v1`). */
  baseUrl: string;
  /** An API key (`lg_…`); its role and workspace decide what this client may do. */
  apiKey: string;
  /** Replaces the global `fetch` (tests, proxies). */
  fetch?: typeof fetch;
  /** Ceiling on one ordinary request (not the long-poll); default 30 s. */
  requestTimeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WaitOptions extends CallOptions {
  /** How long to wait in all; default 24 h. On expiry a {@link LoopgateTimeoutError} carries the task. */
  timeoutMs?: number;
}

export interface RequestApprovalOptions extends WaitOptions {
  /**
   * A stable id for this approval in the caller's world — e.g. `${threadId}:${toolCallId}` — so a
   * retried or restarted agent step finds the task it made before instead of making a second one.
   */
  key: string;
}

/** What may run now that a person has decided. */
export interface ApprovalResult {
  status: Exclude<TaskStatus, 'pending_review' | 'in_review'>;
  /**
   * True for `approved` and `approved_with_modifications`: the action may run, with `approvedPayload`.
   * False for everything else, `revoked` included: an approval an admin has withdrawn lets nothing run
   * (read the task again before a long-delayed action to catch a revocation).
   */
  approved: boolean;
  decision: Decision | null;
  task: Task;
  /** The payload that may run: the reviewer's modified one when modified, else the original; undefined unless approved. */
  approvedPayload: unknown;
  /**
   * SHA-256 (hex) of `approvedPayload`'s RFC 8785 canonical JSON, as the server stored it with the
   * decision (checked against the payload here); null unless approved.
   */
  payloadDigest: string | null;
}

/** Seconds the server holds one long-poll open; well under any proxy's idle timeout. */
const LONG_POLL_SECONDS = 25;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A Loopgate client. Every method maps one REST call; `requestApproval` is the agent's one-liner:
 * create the task idempotently, then hold a long-poll that the server answers the moment the
 * decision commits, reconnecting (with backoff) across restarts and network blips.
 */
export class Loopgate {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #requestTimeoutMs: number;

  constructor(options: LoopgateOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError('Loopgate: baseUrl must be an http(s) URL, e.g. http://localhost:3000');
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError(
        'Loopgate: apiKey is required (create one with `loopgate api-key create` or on /admin/api-keys)',
      );
    }
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** POST /api/v1/tasks. With `idempotencyKey`, a retry returns the first task instead of a second one. */
  createTask(input: CreateTaskInput, options: CallOptions & { idempotencyKey?: string } = {}): Promise<Task> {
    const headers = options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : undefined;
    return this.#request<Task>('POST', '/api/v1/tasks', { body: input, headers, signal: options.signal });
  }

  getTask(id: string, options: CallOptions = {}): Promise<Task> {
    return this.#request<Task>('GET', `/api/v1/tasks/${segment(id)}`, { signal: options.signal });
  }

  listTasks(query: Partial<Record<keyof ListTasksQuery, string | number>> = {}, options: CallOptions = {}) {
    const params = new URLSearchParams(
      Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
    );
    const suffix = params.size > 0 ? `?${params}` : '';
    return this.#request<TaskPage>('GET', `/api/v1/tasks${suffix}`, { signal: options.signal });
  }

  /** POST /api/v1/tasks/{id}/decision — for a reviewer's key (or an admin's). */
  decide(id: string, input: DecisionInput, options: CallOptions = {}): Promise<Task> {
    return this.#request<Task>('POST', `/api/v1/tasks/${segment(id)}/decision`, {
      body: input,
      signal: options.signal,
    });
  }

  cancel(id: string, input: CancelInput = {}, options: CallOptions = {}): Promise<Task> {
    return this.#request<Task>('POST', `/api/v1/tasks/${segment(id)}/cancel`, { body: input, signal: options.signal });
  }

  /**
   * POST /api/v1/tasks/{id}/revoke — an admin's key withdraws an approval within the server's revoke
   * window. The task becomes `revoked` (final; its decision stays) and `task.revoked` is delivered to
   * its callback and subscribers. Refused with `revoke_window_closed` once the window has passed.
   */
  revoke(id: string, input: RevokeInput, options: CallOptions = {}): Promise<Task> {
    return this.#request<Task>('POST', `/api/v1/tasks/${segment(id)}/revoke`, { body: input, signal: options.signal });
  }

  /**
   * Resolves with the task once it is final. Each round is a server long-poll that returns the
   * moment the task changes, so there is no polling interval; a refused connection or a 5xx (a
   * restart, a deploy) is retried with backoff until `timeoutMs`; a 4xx is thrown at once.
   */
  async waitForDecision(id: string, options: WaitOptions = {}): Promise<Task> {
    const timeoutMs = options.timeoutMs ?? DAY_MS;
    const deadline = Date.now() + timeoutMs;
    let last: Task | undefined;
    let failures = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new LoopgateTimeoutError(last ?? (await this.getTask(id, options)), timeoutMs);
      }
      const seconds = Math.max(0, Math.min(LONG_POLL_SECONDS, Math.ceil(remaining / 1000)));
      try {
        last = await this.#request<Task>('GET', `/api/v1/tasks/${segment(id)}/wait?timeout=${seconds}`, {
          signal: options.signal,
          timeoutMs: (seconds + 10) * 1000,
        });
        failures = 0;
        if (isFinalStatus(last.status)) return last;
      } catch (error) {
        if (!isRetryable(error) || options.signal?.aborted) throw error;
        failures++;
        await sleep(Math.min(backoffMs(failures), Math.max(0, deadline - Date.now())), options.signal);
      }
    }
  }

  /**
   * Ask a person and wait for the answer: creates the task (idempotently, keyed by `options.key`,
   * so a retried step waits on the task it made before) and resolves the moment it is decided,
   * expired or cancelled. Check `approved` before running anything, and run `approvedPayload`.
   */
  async requestApproval(input: CreateTaskInput, options: RequestApprovalOptions): Promise<ApprovalResult> {
    if (typeof options?.key !== 'string' || options.key === '') {
      throw new TypeError(
        'requestApproval: options.key (a stable id for this approval, e.g. thread and tool call) is required',
      );
    }
    const started = Date.now();
    const idempotencyKey = await idempotencyKeyFor(options.key);
    const created = await this.#withRetries(
      () => this.createTask(input, { idempotencyKey, signal: options.signal }),
      options,
      started,
    );
    const timeoutMs = options.timeoutMs ?? DAY_MS;
    const task = isFinalStatus(created.status)
      ? created
      : await this.waitForDecision(created.id, {
          ...options,
          timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)),
        });
    return approvalResult(task);
  }

  /** Retries a create while the server is unreachable (the idempotency key makes that safe). */
  async #withRetries<T>(call: () => Promise<T>, options: WaitOptions, started: number): Promise<T> {
    const deadline = started + (options.timeoutMs ?? DAY_MS);
    for (let failures = 1; ; failures++) {
      try {
        return await call();
      } catch (error) {
        const waitMs = Math.min(backoffMs(failures), deadline - Date.now());
        if (!isRetryable(error) || options.signal?.aborted || waitMs <= 0) throw error;
        await sleep(waitMs, options.signal);
      }
    }
  }

  async #request<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await this.#fetch(`${this.#base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.#apiKey}`,
        Accept: 'application/json',
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal,
    });
    const text = await response.text();
    if (response.ok) return parseJson(text, response.status) as T;
    throw problemOf(response.status, text);
  }
}

/** The result an agent acts on, with the server's digest checked against the payload it names. */
export async function approvalResult(task: Task): Promise<ApprovalResult> {
  if (!isFinalStatus(task.status)) throw new TypeError(`Task ${task.id} is still ${task.status}`);
  const status = task.status as ApprovalResult['status'];
  const approved = status === 'approved' || status === 'approved_with_modifications';
  const approvedPayload = approved
    ? status === 'approved_with_modifications'
      ? task.decision?.modifiedPayload
      : task.payload
    : undefined;
  let digest: string | null = null;
  if (approved) {
    digest = await payloadDigest(approvedPayload);
    const stored = task.decision?.payloadDigest ?? null;
    if (stored !== null && stored !== digest) {
      throw new LoopgateError(200, {
        code: 'unexpected_response',
        title: 'Payload digest mismatch',
        detail: `Task ${task.id}: the server's payloadDigest ${stored} is not the digest of the approved payload (${digest})`,
      });
    }
  }
  return { status, approved, decision: task.decision, task, approvedPayload, payloadDigest: digest };
}

/** The Idempotency-Key for a caller's stable id: hashed, so any id fits the header's 255 characters. */
export async function idempotencyKeyFor(key: string): Promise<string> {
  return `lg-sdk-${(await payloadDigest(key)).slice(0, 48)}`;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof LoopgateError) return error.status >= 500 || error.code === 'idempotency_request_in_flight';
  // By name, not instanceof: fetch's errors may come from another realm (a test runner's sandbox).
  const name = (error as { name?: unknown } | null)?.name;
  // A round that outlived its own timeout is retried; the caller's abort is not.
  if (name === 'TimeoutError') return true;
  // fetch's TypeError: refused, reset or closed connection (a restarting server).
  return name === 'TypeError';
}

function backoffMs(failures: number): number {
  const base = Math.min(2000, 50 * 2 ** Math.min(failures, 6));
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function segment(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('A task id is required');
  return encodeURIComponent(id);
}

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LoopgateError(status, { code: 'unexpected_response', title: 'The server did not answer with JSON' });
  }
}

function problemOf(status: number, text: string): LoopgateError {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's HTML error page: keep the status, say what came back.
  }
  const code = isErrorCode(body.code) ? body.code : 'unexpected_response';
  if (code === 'halted') {
    return new LoopgateHaltedError(status, {
      title: typeof body.title === 'string' ? body.title : `HTTP ${status}`,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
    });
  }
  return new LoopgateError(status, {
    code,
    title: typeof body.title === 'string' ? body.title : `HTTP ${status}`,
    detail: typeof body.detail === 'string' ? body.detail : undefined,
    errors: Array.isArray(body.errors) ? body.errors : undefined,
  });
}
