import { AppError } from '../kernel/errors.js';
import type { TaskCursor } from './task-ports.js';

/** Opaque to clients: base64url of `<createdAt>:<id>`, the position after the last row of a page. */
export function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): TaskCursor {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([a-z]{3}_[0-9a-z]{1,40})$/.exec(decoded);
  if (!match?.[1] || !match[2]) {
    throw new AppError('validation_failed', 'cursor is not one this API returned', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
  return { createdAt: Number(match[1]), id: match[2] };
}
