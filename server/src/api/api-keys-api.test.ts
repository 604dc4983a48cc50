import pino from 'pino';
import request from 'supertest';
import { createApp } from '../app.js';
import { createApiKey } from '../domain/admin/api-keys.js';
import { LAST_USED_INTERVAL_MS } from '../domain/admin/authenticate.js';
import { GENESIS_HASH } from '../domain/audit/audit-chain.js';
import type { Repositories, Store } from '../domain/store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

interface ApiKeyView {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  createdBy: { type: string; id: string | null; name: string | null } | null;
}

/** A store whose transactions see `audit.append` fail: the change and its audit entry must fail together. */
function storeWithFailingAudit(store: Store): Store {
  return {
    dialect: store.dialect,
    read: store.read,
    ping: () => store.ping(),
    close: () => store.close(),
    transaction: (work) =>
      store.transaction((tx) => {
        const audit: Repositories['audit'] = {
          ...tx.audit,
          nextSeq: (workspaceId) => tx.audit.nextSeq(workspaceId),
          list: (...args) => tx.audit.list(...args),
          startLog: (workspaceId) => tx.audit.startLog(workspaceId),
          append: async () => {
            throw new Error('audit write failed');
          },
        };
        return work({ ...tx, audit });
      }),
  };
}

for (const database of DATABASES) {
  describe(`${database}: API key lifecycle API`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;
    let now = Date.parse('2026-01-05T09:00:00Z');
    const clock = () => now;
    let workspaceId: string;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock);
      workspaceId = (await store.read.workspaces.findBySlug('default'))?.id ?? '';
    });
    afterAll(async () => {
      await t.authenticator.settle();
      await close();
    });

    const auditLog = () => store.read.audit.list(workspaceId, 0, 1000);

    async function create(body: object, key = t.keys.admin, requestId?: string) {
      const req = request(t.app).post('/api/v1/api-keys').set(bearer(key));
      if (requestId) req.set('X-Request-Id', requestId);
      return req.send(body);
    }

    async function list(key = t.keys.admin): Promise<ApiKeyView[]> {
      const res = await request(t.app).get('/api/v1/api-keys').set(bearer(key));
      expect(res.status).toBe(200);
      return res.body.data;
    }

    test('create answers 201 with the key once, uncacheable; the key works; the list shows it without any secret', async () => {
      const res = await create({ name: 'n8n', role: 'reviewer' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        id: expect.stringMatching(/^key_/),
        name: 'n8n',
        role: 'reviewer',
        prefix: expect.stringMatching(/^lg_[0-9a-z]{8}$/),
        createdAt: new Date(now).toISOString(),
        lastUsedAt: null,
        createdBy: { type: 'api_key', id: expect.stringMatching(/^key_/), name: 'admin' },
        key: expect.stringMatching(/^lg_[0-9a-z]{8}_[0-9a-z]{40}$/),
      });
      expect(res.body.key.startsWith(`${res.body.prefix}_`)).toBe(true);
      const me = await request(t.app).get('/api/v1/me').set(bearer(res.body.key));
      expect(me.body).toMatchObject({ role: 'reviewer', actor: { type: 'api_key', id: res.body.id, name: 'n8n' } });
      await t.authenticator.settle();

      const listed = await request(t.app).get('/api/v1/api-keys').set(bearer(t.keys.admin));
      expect(listed.status).toBe(200);
      const { key, ...view } = res.body;
      expect(listed.body.data).toContainEqual({ ...view, lastUsedAt: expect.any(String) });
      // Neither the key, nor its hash, nor anything but the public prefix of any key, is in the list.
      const text = JSON.stringify(listed.body);
      const stored = await store.read.apiKeys.listActive(workspaceId);
      for (const record of stored) expect(text).not.toContain(record.keyHash);
      for (const secret of [key, t.keys.admin, t.keys.reviewer, t.keys.viewer]) expect(text).not.toContain(secret);
      for (const entry of listed.body.data) expect(Object.keys(entry).sort()).toEqual(Object.keys(view).sort());
      // The keys the test harness created through the operator path say so.
      expect(listed.body.data.find((k: ApiKeyView) => k.name === 'viewer')?.createdBy).toEqual({
        type: 'system',
        id: null,
        name: 'operator-cli',
      });
    });

    test('bad input is a 400 naming the field', async () => {
      for (const [body, path] of [
        [{ name: 'x', role: 'owner' }, 'role'],
        [{ name: '   ', role: 'viewer' }, 'name'],
        [{ role: 'viewer' }, 'name'],
        [{ name: 'x', role: 'viewer', keyHash: 'mine' }, 'keyHash'],
      ] as const) {
        const res = await create(body);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors[0].path).toBe(path);
      }
    });

    test('viewers and reviewers get 403 on every key endpoint, and change nothing', async () => {
      const target = (await create({ name: 'target', role: 'viewer' })).body as ApiKeyView;
      const before = (await auditLog()).length;
      for (const key of [t.keys.viewer, t.keys.reviewer]) {
        const calls = [
          request(t.app).get('/api/v1/api-keys').set(bearer(key)),
          request(t.app).post('/api/v1/api-keys').set(bearer(key)).send({ name: 'escalate', role: 'admin' }),
          request(t.app).delete(`/api/v1/api-keys/${target.id}`).set(bearer(key)),
        ];
        for (const res of await Promise.all(calls)) {
          expect(res.status).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
      }
      expect(await auditLog()).toHaveLength(before);
      expect((await list()).map((k) => k.id)).toContain(target.id);
    });

    test("another workspace's key id is 404 and stays valid; its admin does not see ours", async () => {
      const other = await store.read.workspaces.findBySlug('other');
      const [foreign] = await store.read.apiKeys.listActive(other?.id ?? '');
      expect(foreign).toBeDefined();
      const res = await request(t.app).delete(`/api/v1/api-keys/${foreign?.id}`).set(bearer(t.keys.admin));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect((await request(t.app).get('/api/v1/me').set(bearer(t.keys.otherWorkspaceAdmin))).status).toBe(200);
      const theirs = await list(t.keys.otherWorkspaceAdmin);
      expect(theirs.map((k) => k.id)).toEqual([foreign?.id]);
      expect((await request(t.app).delete('/api/v1/api-keys/key_unknown').set(bearer(t.keys.admin))).status).toBe(404);
    });

    test('a revoked key is refused at once, even while its lookup is cached; revoking twice is 404', async () => {
      const created = (await create({ name: 'short-lived', role: 'reviewer' })).body as ApiKeyView & { key: string };
      // Fill the 5-second cache first: the revocation must not wait for it to run out.
      expect((await request(t.app).get('/api/v1/me').set(bearer(created.key))).status).toBe(200);
      const revoked = await request(t.app).delete(`/api/v1/api-keys/${created.id}`).set(bearer(t.keys.admin));
      expect(revoked.status).toBe(204);
      const refused = await request(t.app).get('/api/v1/me').set(bearer(created.key));
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('unauthorized');
      expect((await list()).map((k) => k.id)).not.toContain(created.id);
      const again = await request(t.app).delete(`/api/v1/api-keys/${created.id}`).set(bearer(t.keys.admin));
      expect(again.status).toBe(404);
    });

    test('each create and each revocation writes exactly one audit entry with actor, role and request id', async () => {
      const before = await auditLog();
      const created = await create({ name: 'audited', role: 'viewer' }, t.keys.admin, 'req-create-1');
      expect(created.status).toBe(201);
      const afterCreate = await auditLog();
      expect(afterCreate).toHaveLength(before.length + 1);
      const admin = (await request(t.app).get('/api/v1/me').set(bearer(t.keys.admin))).body.actor;
      expect(afterCreate.at(-1)).toEqual({
        id: expect.stringMatching(/^aud_/),
        workspaceId,
        seq: before.length + 1,
        at: now,
        actor: { type: 'api_key', id: admin.id, name: 'admin', role: 'admin' },
        action: 'api_key.created',
        target: { type: 'api_key', id: created.body.id },
        data: { name: 'audited', role: 'viewer', prefix: created.body.prefix },
        requestId: 'req-create-1',
        // Chained to the entry before it (audit-chain.ts).
        prevHash: before.at(-1)?.hash ?? GENESIS_HASH,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });

      const revoked = await request(t.app)
        .delete(`/api/v1/api-keys/${created.body.id}`)
        .set(bearer(t.keys.admin))
        .set('X-Request-Id', 'req-revoke-1');
      expect(revoked.status).toBe(204);
      const afterRevoke = await auditLog();
      expect(afterRevoke).toHaveLength(before.length + 2);
      expect(afterRevoke.at(-1)).toMatchObject({
        seq: before.length + 2,
        action: 'api_key.revoked',
        target: { type: 'api_key', id: created.body.id },
        actor: { type: 'api_key', id: admin.id, role: 'admin' },
        requestId: 'req-revoke-1',
      });
      // A refused revocation (already revoked) writes nothing.
      await request(t.app).delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(t.keys.admin));
      expect(await auditLog()).toHaveLength(before.length + 2);
      // The entries never hold the key.
      expect(JSON.stringify(afterRevoke)).not.toContain(created.body.key);
    });

    test('the change and its audit entry share one transaction: when the entry fails, nothing changes', async () => {
      const victim = (await create({ name: 'victim', role: 'viewer' })).body as ApiKeyView;
      const keysBefore = await store.read.apiKeys.listActive(null);
      const auditBefore = await auditLog();
      const broken = storeWithFailingAudit(store);
      const brokenApp = createApp({
        store: broken,
        bus: t.bus,
        clock,
        logger: pino({ level: 'silent' }),
        authenticator: t.authenticator,
        publicUrl: 'http://localhost:3000',
        bodyLimit: '64kb',
      });
      const created = await request(brokenApp)
        .post('/api/v1/api-keys')
        .set(bearer(t.keys.admin))
        .send({ name: 'never', role: 'viewer' });
      expect(created.status).toBe(500);
      const revoked = await request(brokenApp).delete(`/api/v1/api-keys/${victim.id}`).set(bearer(t.keys.admin));
      expect(revoked.status).toBe(500);
      // The operator's path too.
      await expect(createApiKey({ store: broken, clock }, { name: 'never-cli', role: 'admin' })).rejects.toThrow(
        'audit write failed',
      );

      expect(await store.read.apiKeys.listActive(null)).toEqual(keysBefore);
      expect(await auditLog()).toEqual(auditBefore);
    });

    test('concurrent creations get one audit entry each, numbered without gaps or duplicates', async () => {
      const before = (await auditLog()).length;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => create({ name: `burst-${i}`, role: 'viewer' })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
      const entries = (await auditLog()).slice(before);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
      expect(new Set(entries.map((e) => e.target.id))).toEqual(new Set(results.map((r) => r.body.id)));
    });

    test('last used moves at most once a minute, off the request path', async () => {
      const created = (await create({ name: 'busy', role: 'viewer' })).body as ApiKeyView & { key: string };
      const lastUsed = async () => {
        await t.authenticator.settle();
        return (await list()).find((k) => k.id === created.id)?.lastUsedAt;
      };
      expect(await lastUsed()).toBeNull();
      const first = now;
      for (let i = 0; i < 5; i++) await request(t.app).get('/api/v1/me').set(bearer(created.key));
      expect(await lastUsed()).toBe(new Date(first).toISOString());
      now += LAST_USED_INTERVAL_MS - 1;
      await request(t.app).get('/api/v1/me').set(bearer(created.key));
      expect(await lastUsed()).toBe(new Date(first).toISOString());
      now += 1;
      await request(t.app).get('/api/v1/me').set(bearer(created.key));
      expect(await lastUsed()).toBe(new Date(now).toISOString());
    });
  });
}
