import type { Logger } from 'pino';
import type { AuditSigner } from '../domain/audit/checkpoint-signer.js';
import { writeAuditCheckpoints } from '../domain/audit/write-audit-checkpoints.js';
import type { Store } from '../domain/store.js';
import { type RepeatingJob, runEvery } from './run-every.js';

/** How often the writer looks at each workspace's head: a few light queries per workspace. */
export const CHECKPOINT_INTERVAL_MS = 60_000;

/**
 * Signs audit checkpoints (writeAuditCheckpoints) every minute, the first time right after start.
 * Runs on every process that holds the signing key; overlapping runs across processes are safe.
 */
export function startAuditCheckpoints(
  deps: { store: Pick<Store, 'read' | 'transaction'>; signer: AuditSigner; clock: () => number },
  options: { every: number; logger: Logger; intervalMs?: number },
): RepeatingJob {
  return runEvery(
    {
      name: 'audit-checkpoints',
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      logger: options.logger,
      failure: 'audit checkpoint writer failed',
    },
    async (signal) => {
      const { written } = await writeAuditCheckpoints(deps, { now: deps.clock(), every: options.every, signal });
      if (written > 0) options.logger.info({ written, keyId: deps.signer.keyId }, 'signed audit checkpoints');
    },
  );
}
