import { z } from 'zod';
import { actorSchema, roleSchema } from './task.js';

/**
 * Who an API key (or session) is: its workspace and role. Integrations call it to test a connection
 * and to label it ("Loopgate: acme (reviewer)") without needing any other permission.
 */
export const callerSchema = z
  .object({
    workspace: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
    role: roleSchema,
    actor: actorSchema,
  })
  .meta({ id: 'Caller' });
export type Caller = z.infer<typeof callerSchema>;
