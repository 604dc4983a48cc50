import { payloadDigest } from '@loopgate/shared';
import request from 'supertest';
import { bearer, useTestApp } from '../../test-support/api-requests.js';
import { DATABASES } from '../../test-support/databases.js';
import { verifyAuditLog } from '../audit/verify-audit-log.js';
import { eraseExpiredPayloads } from './erase-payloads.js';

const DAY_MS = 24 * 60 * 60 * 1000;

for (const database of DATABASES) {
  describe(`${database}: payload retention`, () => {
    let offset = 0;
    // A revoke window longer than the retention, so an erased approval can still be revoked.
    const d = useTestApp(database, () => Date.now() + offset, { revokeWindowMs: 365 * DAY_MS });
    afterEach(() => {
      offset = 0;
    });

    const create = async (title: string, payload: object) => {
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.admin))
        .send({ title, payload, context: { customer: 'Ann Example' } });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const get = async (id: string) => (await request(d.app).get(`/api/v1/tasks/${id}`).set(bearer(d.keys.admin))).body;
    const ledgerOf = async (id: string) => {
      const res = await request(d.app).get(`/api/v1/audit?taskId=${id}`).set(bearer(d.keys.admin)).buffer(true);
      return res.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { action: string; data: { shownDigest?: string } });
    };
    const erase = (retentionDays: number | null) =>
      eraseExpiredPayloads(
        { store: d.store },
        { now: Date.now(), retentionMs: retentionDays === null ? null : retentionDays * DAY_MS, batchSize: 2 },
      );

    test('old closed tasks lose payload, context and edited copy, keeping digests; open and recent ones are untouched', async () => {
      // Closed 60 days ago: one approved with an edit, one cancelled.
      offset = -60 * DAY_MS;
      const edited = await create('Refund', { iban: 'DE89 3704 0044 0532 0130 00', amount: 50 });
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${edited}/decision`)
        .set(bearer(d.keys.admin))
        .send({
          action: 'approve_with_modifications',
          modifiedPayload: { iban: 'DE89 3704 0044 0532 0130 00', amount: 40 },
        });
      expect(decided.status).toBe(200);
      const approvedDigest = decided.body.decision.payloadDigest as string;
      const cancelled = await create('Call back', { phone: '+49 30 1234567' });
      expect(
        (await request(d.app).post(`/api/v1/tasks/${cancelled}/cancel`).set(bearer(d.keys.admin)).send({})).status,
      ).toBe(200);
      const stillOpen = await create('Open for ages', { secret: 'kept while open' });
      // Closed today.
      offset = 0;
      const recent = await create('Recent', { amount: 1 });
      await request(d.app)
        .post(`/api/v1/tasks/${recent}/decision`)
        .set(bearer(d.keys.admin))
        .send({ action: 'approve' });
      const shownBefore = (await ledgerOf(edited))[0]?.data.shownDigest;
      expect(shownBefore).toBe(
        await payloadDigest({ payload: { iban: 'DE89 3704 0044 0532 0130 00', amount: 50 }, form: null }),
      );

      expect(await erase(null)).toEqual({ erased: 0 });
      expect(await erase(30)).toEqual({ erased: 2 });

      const gone = await get(edited);
      expect(gone).toMatchObject({
        status: 'approved_with_modifications',
        payload: null,
        context: null,
        payloadErasure: { erasedAt: expect.any(String), shownDigest: shownBefore },
        decision: { originalPayload: null, modifiedPayload: null, diff: null, payloadDigest: approvedDigest },
      });
      expect(JSON.stringify(gone)).not.toContain('DE89');
      expect(await get(cancelled)).toMatchObject({
        status: 'cancelled',
        payload: null,
        payloadErasure: { shownDigest: expect.any(String) },
      });
      expect(await get(stillOpen)).toMatchObject({ payload: { secret: 'kept while open' }, payloadErasure: null });
      expect(await get(recent)).toMatchObject({
        payload: { amount: 1 },
        context: { customer: 'Ann Example' },
        payloadErasure: null,
      });

      // The erasure is on the task's timeline and in the ledger, naming the same digest; the chain still holds.
      const events = (await request(d.app).get(`/api/v1/tasks/${edited}/events`).set(bearer(d.keys.admin))).body.data;
      expect(events.at(-1)).toMatchObject({
        type: 'payload_erased',
        actor: { type: 'system', name: 'payload-retention' },
        data: { shownDigest: shownBefore },
      });
      const ledger = await ledgerOf(edited);
      expect(ledger.map((entry) => entry.action)).toEqual(['task.created', 'task.decided', 'task.payload_erased']);
      expect(ledger.every((entry) => entry.data.shownDigest === shownBefore)).toBe(true);
      const workspace = await d.store.read.workspaces.findBySlug('default');
      expect(await verifyAuditLog({ store: d.store }, workspace?.id ?? '')).toMatchObject({ ok: true });

      // Nothing left to erase: a second run changes nothing, and the erased task's version stays.
      expect(await erase(30)).toEqual({ erased: 0 });
      expect((await get(edited)).version).toBe(gone.version);
    });

    test('an approval revoked after its payload was erased: the revocation names the digest of what was shown', async () => {
      offset = -40 * DAY_MS;
      const id = await create('Pay supplier', { account: 'NL91ABNA0417164300' });
      await request(d.app).post(`/api/v1/tasks/${id}/decision`).set(bearer(d.keys.admin)).send({ action: 'approve' });
      offset = 0;
      const shown = (await ledgerOf(id))[0]?.data.shownDigest;
      expect(await erase(30)).toMatchObject({ erased: expect.any(Number) });
      expect((await get(id)).payloadErasure).toMatchObject({ shownDigest: shown });
      const revoked = await request(d.app)
        .post(`/api/v1/tasks/${id}/revoke`)
        .set(bearer(d.keys.admin))
        .send({ reason: 'paid twice' });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', payload: null, payloadErasure: { shownDigest: shown } });
      const ledger = await ledgerOf(id);
      expect(ledger.map((entry) => entry.action)).toEqual([
        'task.created',
        'task.decided',
        'task.payload_erased',
        'task.revoked',
      ]);
      expect(ledger.every((entry) => entry.data.shownDigest === shown)).toBe(true);
    });

    test('several processes erasing at once erase each task once', async () => {
      offset = -90 * DAY_MS;
      const ids: string[] = [];
      for (const n of [1, 2, 3, 4, 5]) {
        const id = await create(`Batch ${n}`, { n });
        await request(d.app).post(`/api/v1/tasks/${id}/cancel`).set(bearer(d.keys.admin)).send({});
        ids.push(id);
      }
      offset = 0;
      const runs = await Promise.all([erase(30), erase(30), erase(30)]);
      expect(runs.reduce((sum, run) => sum + run.erased, 0)).toBe(5);
      for (const id of ids) {
        const events = (await request(d.app).get(`/api/v1/tasks/${id}/events`).set(bearer(d.keys.admin))).body.data as {
          type: string;
        }[];
        expect(events.filter((event) => event.type === 'payload_erased')).toHaveLength(1);
        expect((await get(id)).payload).toBeNull();
      }
    });
  });
}
