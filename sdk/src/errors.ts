import type { ErrorCode, FieldError, Task } from '@loopgate/shared';

/**
 * A problem the Loopgate server answered with (RFC 9457 problem details). `code` is the stable
 * machine-readable reason (`validation_failed`, `unauthorized`, `task_already_decided`, …); branch
 * on it, not on `message`. `errors` lists field problems for `validation_failed`.
 */
export class LoopgateError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'unexpected_response';
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];

  constructor(
    status: number,
    problem: {
      code: LoopgateError['code'];
      title: string;
      detail?: string | undefined;
      errors?: FieldError[] | undefined;
    },
  ) {
    super(`${status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'LoopgateError';
    this.status = status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
  }
}

/**
 * An admin pressed the stop button: the workspace, the task's queue, its `source` or its `agent.id` is
 * halted, so the server refused the new task (HTTP 423, code `halted`). `detail` names what is halted,
 * by whom and since when. Retrying will not help until an admin resumes it; an agent should stop the
 * action it wanted approved, not retry in a loop. Tasks already open can still be decided.
 */
export class LoopgateHaltedError extends LoopgateError {
  constructor(status: number, problem: { title: string; detail?: string | undefined }) {
    super(status, { code: 'halted', ...problem });
    this.name = 'LoopgateHaltedError';
  }
}

/** Whether `error` is the server refusing a new task because an admin halted it (see LoopgateHaltedError). */
export function isHalted(error: unknown): error is LoopgateHaltedError {
  return error instanceof LoopgateError && error.code === 'halted';
}

/**
 * `requestApproval` / `waitForDecision` ran out of time before anyone decided. The task stays open
 * (a reviewer may still decide it); `task` is how it stood, so the caller can wait again later with
 * `waitForDecision(error.task.id)` or cancel it.
 */
export class LoopgateTimeoutError extends Error {
  readonly task: Task;

  constructor(task: Task, waitedMs: number) {
    super(`No decision on task ${task.id} within ${waitedMs} ms; it is still ${task.status}`);
    this.name = 'LoopgateTimeoutError';
    this.task = task;
  }
}
