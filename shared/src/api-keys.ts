import { z } from 'zod';
import { actorSchema, roleSchema } from './task.js';

export const createApiKeyInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).describe('What the key is for, e.g. "ci" or "n8n"'),
    role: roleSchema,
  })
  .meta({ id: 'CreateApiKeyInput' });
export type CreateApiKeyInput = z.infer<typeof createApiKeyInputSchema>;

/** An API key as admins see it: never the secret, nor its hash. */
export const apiKeySchema = z
  .object({
    id: z.string().describe('key_…'),
    name: z.string(),
    role: roleSchema,
    prefix: z.string().describe('lg_ and the first 8 characters of the key: enough to recognise it, not to use it'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe('When the key last authenticated a request, to the minute'),
    createdBy: actorSchema.nullable().describe('Who created it; null for keys created before this was recorded'),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof apiKeySchema>;

/** Returned once, at creation: the key itself. Loopgate keeps only its hash. */
export const apiKeyWithSecretSchema = apiKeySchema
  .extend({ key: z.string().describe('lg_…; shown once, in this answer only') })
  .meta({ id: 'ApiKeyWithSecret' });
export type ApiKeyWithSecret = z.infer<typeof apiKeyWithSecretSchema>;

export const apiKeyListSchema = z.object({ data: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });
