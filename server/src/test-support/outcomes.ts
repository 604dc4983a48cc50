import type { ErrorCode } from '@loopgate/shared';
import { AppError } from '../domain/kernel/errors.js';

/** How a use case refused: the AppError's code, the HTTP status it maps to, and its message. */
export interface Refusal {
  code: ErrorCode;
  status: number;
  message: string;
}

/** A use case's answer: what it returned, or how it refused. */
export type Answer<T> =
  | ({ ok: true; value: T } & Partial<Record<keyof Refusal, undefined>>)
  | ({ ok: false } & Refusal);

/**
 * Runs `work` and says how it ended. Only an AppError is a refusal; anything else (a driver error, a
 * lost race leaking out) is a bug and fails the test, as it would answer 500 over HTTP.
 */
export async function answerOf<T>(work: Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    if (error instanceof AppError) {
      return { ok: false, code: error.code, status: error.status, message: error.message };
    }
    throw error;
  }
}

/** How `work` refused; fails the test when it succeeds instead. */
export async function refusal(work: Promise<unknown>): Promise<Refusal> {
  const answer = await answerOf(work);
  if (answer.ok) throw new Error('expected a refusal');
  return { code: answer.code, status: answer.status, message: answer.message };
}
