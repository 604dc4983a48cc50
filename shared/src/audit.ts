import { z } from 'zod';

/** Wire shapes of the audit API (GET /api/v1/audit and /api/v1/audit/verify); docs/governance.md explains the log. */

const isoTime = z.iso.datetime({ offset: true });

export const auditExportQuerySchema = z
  .strictObject({
    from: isoTime.optional().describe('Entries at or after this time (ISO 8601)'),
    to: isoTime.optional().describe('Entries before this time (ISO 8601)'),
    actor: z.string().min(1).max(64).optional().describe("Only this actor's entries (its id: usr_…, key_…)"),
    taskId: z.string().min(1).max(64).optional().describe("Only this task's entries"),
    format: z
      .enum(['jsonl', 'csv'])
      .default('jsonl')
      .describe(
        'jsonl: one entry per line, each verifiable with its prevHash; csv: a header row, then one row per entry',
      ),
  })
  .describe('Filters for GET /api/v1/audit: the matching entries of the workspace log, oldest first, streamed');
export type AuditExportQuery = z.infer<typeof auditExportQuerySchema>;

export const auditVerifyQuerySchema = z.strictObject({
  from: z.coerce.number().int().min(1).optional().describe('Start at this seq (default: the first entry)'),
});

export const auditVerificationSchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int().describe('Entries whose hash and link were checked'),
    firstSeq: z.number().int().nullable().optional(),
    lastSeq: z.number().int().nullable().optional(),
    seq: z.number().int().optional().describe('When not ok: the first entry that is wrong'),
    reason: z.enum(['hash_mismatch', 'broken_link', 'gap', 'head_mismatch']).optional(),
    message: z.string().optional(),
  })
  .meta({ id: 'AuditVerification' });
