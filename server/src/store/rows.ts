import type { Actor } from '@loopgate/shared';
import type { JsonValue } from '../domain/tasks/task-record.js';

/**
 * The column shapes rows share. Each repository declares its row interface once (`TaskRow`, …),
 * one field per column with the type the drivers give back (see `Sql`); these name the columns whose
 * SQL type says less than what they hold, and read and write the ones that need more than a field access.
 */

/** A JSON document kept in a TEXT (MySQL: MEDIUMTEXT) column. */
export type JsonText = string;

/** A boolean kept in an INTEGER column: 1 or 0. */
export type Flag = 0 | 1;

export type ActorType = Actor['type'];

export function parseJson<T = JsonValue>(text: JsonText): T {
  return JSON.parse(text) as T;
}

export function parseJsonOrNull<T = JsonValue>(text: JsonText | null): T | null {
  return text === null ? null : parseJson<T>(text);
}

export function stringifyOrNull(value: unknown): JsonText | null {
  return value === null ? null : JSON.stringify(value);
}

/** An actor kept in (…_type, …_id, …_name) columns that are all NULL when there is none. */
export function actorOrNull(type: ActorType | null, id: string | null, name: string | null): Actor | null {
  return type === null ? null : { type, id, name };
}

/** Who owns a URL, kept in (…_type, …_id) columns that are NULL when it was not recorded. */
export function ownerOrNull(type: ActorType | null, id: string | null): Pick<Actor, 'type' | 'id'> | null {
  return type === null ? null : { type, id };
}
