import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { createWorkspace } from '../domain/admin/workspaces.js';
import { auditSignerOf } from '../domain/audit/checkpoint-signer.js';
import { OPERATOR, recordAudit } from '../domain/audit/record-audit.js';
import type { Store } from '../domain/store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { startAuditCheckpoints } from './audit-checkpoint-job.js';

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const database of DATABASES) {
  describe(`${database}: audit checkpoint job`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
    });
    afterAll(async () => close());

    test('signs a head right after start, logs it with the key id, and stops cleanly', async () => {
      const workspace = await createWorkspace({ store, clock: Date.now }, 'job-checkpoints');
      for (const n of [1, 2, 3]) {
        await store.transaction((tx) =>
          recordAudit(tx, {
            workspaceId: workspace.id,
            at: Date.now(),
            actor: OPERATOR,
            action: 'api_key.created',
            target: { type: 'api_key', id: `key_${n}` },
            data: null,
            requestId: null,
          }),
        );
      }
      const signer = auditSignerOf(generateKeyPairSync('ed25519').privateKey);
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
      const job = startAuditCheckpoints({ store, signer, clock: Date.now }, { every: 3, logger });
      try {
        await waitFor(async () => (await store.read.auditCheckpoints.latest(workspace.id)) !== null);
      } finally {
        await job.stop();
      }
      expect(await store.read.auditCheckpoints.latest(workspace.id)).toMatchObject({ seq: 3, keyId: signer.keyId });
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'signed audit checkpoints', written: 1, keyId: signer.keyId }),
      );
    });
  });
}
