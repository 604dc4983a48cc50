import type { FieldError } from '@loopgate/shared';
import type { z } from 'zod';

/**
 * A zod failure as one FieldError per problem, each path written by `pathOf`: every unknown field
 * is named rather than one message at the object's path, and a missing value says "Required"
 * rather than zod's type message. Parse with `reportInput: true` so missing values can be told apart.
 */
export function fieldErrorsOf(error: z.ZodError, pathOf: (path: PropertyKey[]) => string): FieldError[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'Unknown field' }));
    }
    const missing = issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union');
    return [{ path: pathOf(issue.path), message: missing ? 'Required' : issue.message }];
  });
}
