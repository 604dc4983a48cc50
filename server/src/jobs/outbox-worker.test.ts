import { Writable } from 'node:stream';
import pino from 'pino';
import { createWorkspace } from '../domain/admin/workspaces.js';
import { PUBLIC_ONLY } from '../domain/delivery/callback-targets.js';
import { newId } from '../domain/kernel/ids.js';
import type { Store } from '../domain/store.js';
import { type PostRequest, postJson, type SendResult } from '../notify/http-sender.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { deliveryRecord } from '../test-support/delivery-records.js';
import { until } from '../test-support/until.js';
import { classify, MAX_ATTEMPTS, OutboxWorker, RETRY_DELAYS_MS } from './outbox-worker.js';

const HOUR = 3600_000;

describe('retry schedule', () => {
  test('spans more than three days even with the lowest jitter, then gives up', () => {
    const low = RETRY_DELAYS_MS.reduce((sum, d) => sum + d * 0.8, 0);
    expect(low).toBeGreaterThan(72 * HOUR);
    const failure: SendResult = { statusCode: 503, error: null, latencyMs: 1 };
    let now = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const { outcome } = classify(failure, attempt, now, () => 0);
      if (outcome.status !== 'pending') throw new Error(`attempt ${attempt} gave up early`);
      now = outcome.nextAttemptAt;
    }
    expect(now).toBeGreaterThan(72 * HOUR);
    expect(classify(failure, MAX_ATTEMPTS, now, () => 0.5).outcome).toEqual({ status: 'failed' });
  });

  test.each([
    [200, 'delivered', false],
    [204, 'delivered', false],
    [301, 'pending', false],
    [404, 'pending', false],
    [410, 'failed', true],
    [500, 'pending', false],
    [null, 'pending', false],
  ])('HTTP %s → %s (gone=%s)', (statusCode, status, gone) => {
    const result = classify({ statusCode, error: null, latencyMs: 1 }, 1, 1_000, () => 0.5);
    expect(result.outcome.status).toBe(status);
    expect(result.gone).toBe(gone);
    if (result.outcome.status === 'pending') expect(result.outcome.nextAttemptAt).toBe(1_000 + RETRY_DELAYS_MS[0]!);
  });

  test('jitter stays within ±20 %', () => {
    const at = (r: number) => classify({ statusCode: 500, error: null, latencyMs: 1 }, 3, 0, () => r).outcome;
    expect(at(0)).toEqual({ status: 'pending', nextAttemptAt: RETRY_DELAYS_MS[2]! * 0.8 });
    expect(at(1)).toEqual({ status: 'pending', nextAttemptAt: RETRY_DELAYS_MS[2]! * 1.2 });
  });
});

for (const database of DATABASES) {
  describe(`${database}: outbox worker`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let workspaceId: string;
    const logger = pino({ level: 'silent' });

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      workspaceId = (await createWorkspace({ store, clock: Date.now }, 'outbox')).id;
    });
    afterAll(async () => close());

    async function queue(count: number, now: number, url = 'http://receiver.test/hook'): Promise<string[]> {
      const ids: string[] = [];
      await store.transaction(async (tx) => {
        for (let i = 0; i < count; i++) {
          const row = deliveryRecord(workspaceId, newId('delivery', now), now, {
            url,
            body: JSON.stringify({ n: i }),
            status: 'pending',
            attempts: 0,
            nextAttemptAt: now,
            lastStatusCode: null,
            deliveredAt: null,
          });
          await tx.deliveries.insert(row);
          ids.push(row.id);
        }
      });
      return ids;
    }

    function worker(post: (r: PostRequest) => Promise<SendResult>, clock: () => number = Date.now) {
      return new OutboxWorker({
        store,
        clock,
        logger,
        post,
        timeoutMs: 1_000,
        pollMs: 20,
        concurrency: 8,
        serverPolicy: PUBLIC_ONLY,
      });
    }

    test('a receiver that never recovers: 12 attempts with growing backoff over > 3 days, then failed', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const [id] = await queue(1, now, 'http://always-down.test/');
      const posted: PostRequest[] = [];
      const w = worker(
        async (r) => {
          posted.push(r);
          return { statusCode: 503, error: null, latencyMs: 3 };
        },
        () => now,
      );
      w.start();
      try {
        const dueTimes: number[] = [];
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const row = await until(`attempt ${attempt}`, async () => {
            const r = await store.read.deliveries.findForWorker(id!);
            return r && r.attempts === attempt ? r : undefined;
          });
          if (attempt < MAX_ATTEMPTS) {
            expect(row.status).toBe('pending');
            dueTimes.push(row.nextAttemptAt!);
            now = row.nextAttemptAt!;
            w.kick();
          } else {
            expect(row.status).toBe('failed');
          }
        }
        const start = Date.parse('2026-01-01T00:00:00Z');
        expect(now - start).toBeGreaterThan(72 * HOUR);
        const gaps = dueTimes.map((t, i) => t - (i === 0 ? start : dueTimes[i - 1]!));
        gaps.forEach((gap, i) => {
          expect(gap).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[i]! * 0.8);
          expect(gap).toBeLessThanOrEqual(RETRY_DELAYS_MS[i]! * 1.2 + 1);
        });
        // Every attempt logged, every one with the same webhook-id.
        const attempts = await store.read.deliveries.listAttempts(workspaceId, [id!]);
        expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1));
        expect(attempts.every((a) => a.statusCode === 503)).toBe(true);
        expect(new Set(posted.map((p) => p.headers['webhook-id']))).toEqual(new Set([id]));
        expect(posted).toHaveLength(MAX_ATTEMPTS);
      } finally {
        await w.stop();
      }
    });

    test('a refused send is logged and recorded naming only the origin of the URL', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const [id] = await queue(1, Date.now(), 'http://127.0.0.1:9/webhook-waiting/7/node?signature=tok-456');
      const w = new OutboxWorker({
        store,
        clock: Date.now,
        logger: pino({ level: 'info' }, sink),
        post: postJson,
        timeoutMs: 1_000,
        pollMs: 20,
        concurrency: 8,
        serverPolicy: PUBLIC_ONLY,
      });
      w.start();
      try {
        const row = await until('the refused attempt', async () => {
          const r = await store.read.deliveries.findForWorker(id!);
          return r && r.attempts === 1 ? r : undefined;
        });
        expect(row.lastError).toContain('Refusing to call http://127.0.0.1:9:');
        const [attempt] = await store.read.deliveries.listAttempts(workspaceId, [id!]);
        expect(attempt?.error).toBe(row.lastError);
        await until('the warning', () => (lines.some((l) => l.includes('delivery attempt failed')) ? true : undefined));
        expect(lines.join('')).toContain('http://127.0.0.1:9');
        expect(lines.join('')).not.toMatch(/tok-456|webhook-waiting/);
        expect(JSON.stringify([row.lastError, attempt?.error])).not.toMatch(/tok-456|webhook-waiting/);
      } finally {
        await w.stop();
      }
    });

    test('two workers on one database never send the same delivery twice', async () => {
      const ids = await queue(60, Date.now(), 'http://two-workers.test/');
      const sent = new Map<string, number>();
      const post = async (r: PostRequest): Promise<SendResult> => {
        const id = r.headers['webhook-id'] ?? '';
        sent.set(id, (sent.get(id) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { statusCode: 200, error: null, latencyMs: 2 };
      };
      const a = worker(post);
      const b = worker(post);
      a.start();
      b.start();
      try {
        await until('every delivery delivered', async () => {
          const rows = await Promise.all(ids.map((id) => store.read.deliveries.findForWorker(id)));
          return rows.every((r) => r?.status === 'delivered') ? true : undefined;
        });
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      expect([...sent.keys()].sort()).toEqual([...ids].sort());
      expect([...sent.values()].every((n) => n === 1)).toBe(true);
    });

    test('a lease held by a dead worker runs out; the row is sent again with the same id, the old lease cannot record', async () => {
      const now = Date.now();
      const [id] = await queue(1, now, 'http://lease.test/');
      // A worker claims the row, "sends", and dies before recording.
      const claimed = await store.transaction((tx) => tx.deliveries.claim(id!, now, 'dead-worker', now + 300));
      expect(claimed).toBe(true);
      const sent: string[] = [];
      const w = worker(async (r) => {
        sent.push(r.headers['webhook-id'] ?? '');
        return { statusCode: 200, error: null, latencyMs: 1 };
      });
      w.start();
      try {
        const row = await until('the delivery delivered', async () => {
          const r = await store.read.deliveries.findForWorker(id!);
          return r?.status === 'delivered' ? r : undefined;
        });
        expect(row.attempts).toBe(1);
        expect(sent).toEqual([id]);
      } finally {
        await w.stop();
      }
      const late = await store.transaction((tx) =>
        tx.deliveries.complete(
          id!,
          'dead-worker',
          { status: 'failed' },
          { statusCode: 500, error: 'late' },
          Date.now(),
        ),
      );
      expect(late).toBe(false);
    });
  });
}
