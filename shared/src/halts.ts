import { z } from 'zod';
import { actorSchema } from './task.js';

/**
 * The stop button (EU AI Act Art. 14(4)(e)): an admin halts new tasks from a whole workspace, one
 * queue, one `source` or one `agent.id`. While a halt is active, creating a task it matches is refused
 * with 423 `halted`; open tasks can still be decided or cancelled.
 */
export const HALT_SCOPES = ['workspace', 'queue', 'source', 'agent'] as const;
export type HaltScope = (typeof HALT_SCOPES)[number];

export const createHaltInputSchema = z
  .strictObject({
    scope: z.enum(HALT_SCOPES),
    value: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .optional()
      .describe('The queue name, source or agent id to halt; omitted for scope "workspace"'),
    reason: z.string().trim().max(1000).optional().describe('Why, for the people whose tasks are refused'),
  })
  .refine((input) => (input.scope === 'workspace') === (input.value === undefined), {
    path: ['value'],
    message: 'Required for scope queue, source and agent; not allowed for scope workspace',
  })
  .meta({ id: 'CreateHaltInput' });
export type CreateHaltInput = z.infer<typeof createHaltInputSchema>;

export const haltSchema = z
  .object({
    id: z.string().describe('hlt_…'),
    scope: z.enum(HALT_SCOPES),
    value: z.string().nullable().describe('null for scope "workspace"'),
    reason: z.string().nullable(),
    createdBy: actorSchema,
    createdAt: z.iso.datetime(),
    resumedBy: actorSchema.nullable(),
    resumedAt: z.iso.datetime().nullable().describe('null while the halt is active'),
  })
  .meta({ id: 'Halt' });
export type Halt = z.infer<typeof haltSchema>;

export const haltListSchema = z.object({ data: z.array(haltSchema) }).meta({ id: 'HaltList' });

export const revokeInputSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).describe('Why the approval is withdrawn') })
  .meta({ id: 'RevokeInput' });
export type RevokeInput = z.infer<typeof revokeInputSchema>;
