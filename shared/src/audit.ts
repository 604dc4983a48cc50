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
    seq: z.number().int().optional().describe('When not ok: the first entry (or checkpoint) that is wrong'),
    reason: z
      .enum(['hash_mismatch', 'broken_link', 'gap', 'head_mismatch', 'checkpoint_signature', 'checkpoint_mismatch'])
      .optional(),
    message: z.string().optional(),
    checkpoints: z
      .object({
        checked: z.number().int().describe('Signed checkpoints whose signature and hash were checked'),
        otherKeys: z
          .number()
          .int()
          .describe('Of those, signed by a key other than the one the server holds now (an earlier key)'),
      })
      .optional()
      .describe('When ok'),
  })
  .meta({ id: 'AuditVerification' });

export const auditCheckpointsQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).default(0).describe("Checkpoints after this seq (the last page's nextAfter)"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const auditCheckpointSchema = z
  .object({
    workspaceId: z.string(),
    seq: z.number().int().describe('The entry the checkpoint vouches for (and, through its hash, all before it)'),
    hash: z.string().describe("That entry's hash"),
    at: z.number().int().describe('When it was signed, ms since the epoch'),
    signature: z
      .string()
      .describe('Base64 Ed25519 signature over the RFC 8785 canonical JSON of {workspaceId, seq, hash, at}'),
    keyId: z.string().describe("SHA-256 hex of the signing key's SPKI DER"),
    publicKey: z.string().describe('The signing public key, SPKI PEM'),
  })
  .meta({ id: 'AuditCheckpoint' });
export type AuditCheckpointView = z.infer<typeof auditCheckpointSchema>;

export const auditCheckpointPageSchema = z
  .object({
    signing: z
      .object({ keyId: z.string(), publicKey: z.string() })
      .nullable()
      .describe(
        'The key this server signs with now; null when LOOPGATE_AUDIT_SIGNING_KEY is not set (no new checkpoints)',
      ),
    checkpoints: z.array(auditCheckpointSchema),
    nextAfter: z.number().int().nullable().describe('Pass as `after` for the next page; null on the last'),
  })
  .meta({ id: 'AuditCheckpointPage' });
