import {
  auditCheckpointPageSchema,
  auditCheckpointsQuerySchema,
  auditExportQuerySchema,
  auditVerificationSchema,
  auditVerifyQuerySchema,
} from '@loopgate/shared';
import {
  AUDIT_CSV_COLUMNS,
  auditCsvRow,
  exportWorkspaceAuditLog,
  verifyWorkspaceAuditLog,
} from '../domain/audit/export-audit-log.js';
import { type AuditSigningKey, listWorkspaceAuditCheckpoints } from '../domain/audit/list-audit-checkpoints.js';
import type { Store } from '../domain/store.js';
import { streamExport } from '../http-common/export-stream.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

/** The workspace's audit log for its admins: the chain's check, the log itself, streamed, and its signed checkpoints. */
export function auditRoutes(deps: { store: Store; auditSigningKey?: AuditSigningKey | null }): AnyRouteSpec[] {
  const signingKey = deps.auditSigningKey ?? null;
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/audit/verify',
      summary: "Walk the workspace's audit hash chain and name the first entry that is wrong",
      tags: ['audit'],
      permission: 'workspace:admin',
      query: auditVerifyQuerySchema,
      responses: {
        200: {
          description:
            'ok: true with the entries and checkpoints checked, or ok: false with the first bad seq and why (hash_mismatch, broken_link, gap, head_mismatch, checkpoint_signature, checkpoint_mismatch)',
          schema: auditVerificationSchema,
        },
        ...problemResponses(400, 401, 403),
      },
      async handler({ principal, query }) {
        const result = await verifyWorkspaceAuditLog(
          { store: deps.store, signingKeyId: signingKey?.keyId ?? null },
          principal,
          query.from,
        );
        const { workspaceId: _workspace, ...body } = result;
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/audit/checkpoints',
      summary: "List the workspace's signed audit checkpoints, oldest first, with the public key to check them",
      tags: ['audit'],
      permission: 'workspace:admin',
      query: auditCheckpointsQuerySchema,
      responses: {
        200: {
          description:
            'Each checkpoint signs {workspaceId, seq, hash, at} (RFC 8785 JSON) with Ed25519 and carries its public key (SPKI PEM); `signing` is the key in use now, null when checkpoints are off (docs/governance.md)',
          schema: auditCheckpointPageSchema,
        },
        ...problemResponses(400, 401, 403),
      },
      async handler({ principal, query }) {
        const body = await listWorkspaceAuditCheckpoints({ store: deps.store, signingKey }, principal, query);
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/audit',
      summary: "Export the workspace's audit log as JSON Lines or CSV (streamed, oldest first)",
      tags: ['audit'],
      permission: 'workspace:admin',
      query: auditExportQuerySchema,
      responses: {
        200: {
          description:
            "JSON Lines: one entry per line with prevHash and hash, each verifiable on its own (docs/governance.md). CSV: a header row, then one row per entry; a cell starting with = + - @ (or tab, CR) is prefixed with ' so a spreadsheet does not run it",
          contentType: 'application/jsonl',
        },
        ...problemResponses(400, 401, 403),
      },
      async handler({ res, principal, query }) {
        const rows = exportWorkspaceAuditLog(deps, principal, {
          from: query.from === undefined ? undefined : Date.parse(query.from),
          to: query.to === undefined ? undefined : Date.parse(query.to),
          actorId: query.actor,
          taskId: query.taskId,
        });
        await streamExport(res, rows, {
          format: query.format,
          filename: 'loopgate-audit',
          csvColumns: AUDIT_CSV_COLUMNS,
          csvRow: auditCsvRow,
        });
        return undefined;
      },
    }),
  ];
}
