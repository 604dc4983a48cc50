import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { GENESIS_HASH } from '../domain/audit/audit-chain.js';
import { auditSignerOf } from '../domain/audit/checkpoint-signer.js';
import { AUDIT_CSV_COLUMNS } from '../domain/audit/export-audit-log.js';
import { writeAuditCheckpoints } from '../domain/audit/write-audit-checkpoints.js';
import { bearer, useTestApp } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { rawDataSource } from '../test-support/raw-data-source.js';

interface Line {
  seq: number;
  prevHash: string;
  hash: string;
  action: string;
  requestId: string | null;
  actor: { type: string; id: string | null; name: string | null; role: string | null };
  target: { type: string; id: string };
  [field: string]: unknown;
}

/** Checks one exported line on its own, as an auditor would: SHA-256(prevHash + RFC 8785 of the rest). */
function lineVerifies(line: Line): boolean {
  const { prevHash, hash, ...rest } = line;
  return createHash('sha256').update(prevHash).update(canonicalJson(rest)).digest('hex') === hash;
}

for (const database of DATABASES) {
  describe(`${database}: GET /api/v1/audit and /api/v1/audit/verify`, () => {
    const d = useTestApp(database);

    const exportAs = async (query: string, key = d.keys.admin) => {
      const res = await request(d.app).get(`/api/v1/audit${query}`).set(bearer(key)).buffer(true);
      return res;
    };
    const lines = async (query = '') => {
      const res = await exportAs(query);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/jsonl/);
      return res.text
        .trimEnd()
        .split('\n')
        .filter(Boolean)
        .map((text) => JSON.parse(text) as Line);
    };

    test('a task made over the API is in the ledger with its request id and the caller role; export round-trips', async () => {
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('X-Request-Id', 'req-audit-1')
        .send({ title: 'Refund', payload: { amount: 5 } });
      expect(res.status).toBe(201);
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${res.body.id}/decision`)
        .set(bearer(d.keys.admin))
        .set('X-Request-Id', 'req-audit-2')
        .send({ action: 'approve' });
      expect(decided.status).toBe(200);

      const all = await lines();
      // The whole export verifies line by line and link by link, from the genesis hash.
      expect(all[0]?.prevHash).toBe(GENESIS_HASH);
      all.forEach((line, i) => {
        expect(lineVerifies(line)).toBe(true);
        expect(line.seq).toBe(i + 1);
        if (i > 0) expect(line.prevHash).toBe(all[i - 1]?.hash);
      });

      const forTask = await lines(`?taskId=${res.body.id}`);
      expect(forTask.map((l) => [l.action, l.requestId, l.actor.name, l.actor.role])).toEqual([
        ['task.created', 'req-audit-1', 'reviewer', 'reviewer'],
        ['task.decided', 'req-audit-2', 'admin', 'admin'],
      ]);
      // A filtered export still verifies each line on its own.
      expect(forTask.every(lineVerifies)).toBe(true);
      const byAdmin = await lines(`?actor=${forTask[1]?.actor.id}`);
      expect(byAdmin.length).toBeGreaterThan(0);
      expect(byAdmin.every((l) => l.actor.id === forTask[1]?.actor.id)).toBe(true);
      expect(await lines('?to=2000-01-01T00:00:00Z')).toEqual([]);
      expect((await lines('?from=2000-01-01T00:00:00Z')).length).toBe(all.length);
    });

    test('CSV: the header names every column and a cell starting with = + - @ is neutralised', async () => {
      const key = await request(d.app)
        .post('/api/v1/api-keys')
        .set(bearer(d.keys.admin))
        .send({ name: '=HYPERLINK("http://evil.example")', role: 'reviewer' });
      expect(key.status).toBe(201);
      const res = await exportAs('?format=csv');
      expect([res.status, res.headers['content-type']]).toEqual([200, 'text/csv; charset=utf-8']);
      const rows = parse(res.text, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0] ?? {})).toEqual([...AUDIT_CSV_COLUMNS]);
      const created = rows.find((r) => r.action === 'api_key.created' && r.targetId === key.body.id);
      expect(JSON.parse(created?.data ?? '{}').name).toBe('=HYPERLINK("http://evil.example")');
      // The key acts: its name is now an actorName cell, which must not start with "=".
      await d.createTask({ title: 'x', payload: {} }, key.body.key);
      const after = parse((await exportAs('?format=csv')).text, { columns: true }) as Record<string, string>[];
      const acted = after.find((r) => r.action === 'task.created' && r.actorId === key.body.id);
      expect(acted?.actorName).toBe(`'=HYPERLINK("http://evil.example")`);
    });

    test('verify: ok for an untouched log; the first bad seq after tampering; admins only, problem+json', async () => {
      const ok = await request(d.app).get('/api/v1/audit/verify').set(bearer(d.keys.admin));
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ ok: true, firstSeq: 1 });
      const total = ok.body.checked as number;
      expect(total).toBe(ok.body.lastSeq);

      const refused = await request(d.app).get('/api/v1/audit/verify').set(bearer(d.keys.reviewer));
      expect([refused.status, refused.headers['content-type'], refused.body.code]).toEqual([
        403,
        'application/problem+json; charset=utf-8',
        'forbidden',
      ]);
      expect((await exportAs('', d.keys.reviewer)).status).toBe(403);
      const invalid = await request(d.app).get('/api/v1/audit/verify?from=0').set(bearer(d.keys.admin));
      expect([invalid.status, invalid.body.code]).toEqual([400, 'validation_failed']);

      const workspace = await d.store.read.workspaces.findBySlug('default');
      const raw = await rawDataSource(d.db, []);
      await raw.query("UPDATE audit_log SET actor_name = 'someone else' WHERE workspace_id = ? AND seq = 2", [
        workspace?.id,
      ]);
      await raw.destroy();
      const broken = await request(d.app).get('/api/v1/audit/verify').set(bearer(d.keys.admin));
      expect(broken.status).toBe(200);
      expect(broken.body).toMatchObject({ ok: false, seq: 2, reason: 'hash_mismatch', checked: 1 });
      const later = await request(d.app).get('/api/v1/audit/verify?from=3').set(bearer(d.keys.admin));
      expect(later.body).toMatchObject({ ok: true, checked: total - 2 });
    });

    test('both routes are in the OpenAPI document, admin-only', async () => {
      const doc = (await request(d.app).get('/api/openapi.json')).body as { paths: Record<string, { get?: object }> };
      expect(doc.paths['/api/v1/audit']?.get).toBeDefined();
      expect(doc.paths['/api/v1/audit/verify']?.get).toBeDefined();
      expect(doc.paths['/api/v1/audit/checkpoints']?.get).toBeDefined();
    });

    test('checkpoints without a signing key: an empty list and signing null', async () => {
      const res = await request(d.app).get('/api/v1/audit/checkpoints').set(bearer(d.keys.admin));
      expect([res.status, res.body]).toEqual([200, { signing: null, checkpoints: [], nextAfter: null }]);
    });
  });

  describe(`${database}: GET /api/v1/audit/checkpoints`, () => {
    const signer = auditSignerOf(generateKeyPairSync('ed25519').privateKey);
    const d = useTestApp(database, Date.now, {
      auditSigningKey: { keyId: signer.keyId, publicKey: signer.publicKey },
    });

    test('pages of checkpoints an outsider verifies with the public key given; verify checks them; admins only', async () => {
      for (const [round, title] of ['one', 'two', 'three'].entries()) {
        const res = await request(d.app).post('/api/v1/tasks').set(bearer(d.keys.admin)).send({ title, payload: {} });
        expect(res.status).toBe(201);
        await writeAuditCheckpoints({ store: d.store, signer }, { now: Date.now() + round, every: 1 });
      }
      const first = await request(d.app).get('/api/v1/audit/checkpoints?limit=2').set(bearer(d.keys.admin));
      expect(first.status).toBe(200);
      expect(first.body.signing).toEqual({ keyId: signer.keyId, publicKey: signer.publicKey });
      expect(first.body.checkpoints).toHaveLength(2);
      const rest = await request(d.app)
        .get(`/api/v1/audit/checkpoints?after=${first.body.nextAfter}`)
        .set(bearer(d.keys.admin));
      expect(rest.body.nextAfter).toBeNull();
      const all = [...first.body.checkpoints, ...rest.body.checkpoints] as {
        workspaceId: string;
        seq: number;
        hash: string;
        at: number;
        signature: string;
        publicKey: string;
      }[];
      expect(all).toHaveLength(3);
      expect(all.map((c) => c.seq)).toEqual([...all.map((c) => c.seq)].sort((a, b) => a - b));
      const exported = (await request(d.app).get('/api/v1/audit').set(bearer(d.keys.admin)).buffer(true)).text
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text) as Line);
      for (const checkpoint of all) {
        const message = canonicalJson({
          workspaceId: checkpoint.workspaceId,
          seq: checkpoint.seq,
          hash: checkpoint.hash,
          at: checkpoint.at,
        });
        const key = createPublicKey(first.body.signing.publicKey);
        expect(verify(null, Buffer.from(message), key, Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
        // … and it names the hash the exported log has at that seq.
        expect(exported.find((line) => line.seq === checkpoint.seq)?.hash).toBe(checkpoint.hash);
      }

      const verified = await request(d.app).get('/api/v1/audit/verify').set(bearer(d.keys.admin));
      expect(verified.body).toMatchObject({ ok: true, checkpoints: { checked: 3, otherKeys: 0 } });

      const refused = await request(d.app).get('/api/v1/audit/checkpoints').set(bearer(d.keys.reviewer));
      expect([refused.status, refused.headers['content-type'], refused.body.code]).toEqual([
        403,
        'application/problem+json; charset=utf-8',
        'forbidden',
      ]);
      const invalid = await request(d.app).get('/api/v1/audit/checkpoints?limit=5000').set(bearer(d.keys.admin));
      expect([invalid.status, invalid.body.code]).toEqual([400, 'validation_failed']);

      const raw = await rawDataSource(d.db, []);
      await raw.query('UPDATE audit_checkpoints SET hash = ? WHERE seq = ?', ['f'.repeat(64), all[1]?.seq]);
      await raw.destroy();
      const broken = await request(d.app).get('/api/v1/audit/verify').set(bearer(d.keys.admin));
      expect(broken.body).toMatchObject({ ok: false, seq: all[1]?.seq, reason: 'checkpoint_signature' });
    });
  });
}
