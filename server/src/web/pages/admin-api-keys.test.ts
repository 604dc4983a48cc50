import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

for (const database of DATABASES) {
  describe(`${database}: admin API keys page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const workspaceId = async () => (await w.store.read.workspaces.findBySlug('default'))!.id;
    const audit = async () => w.store.read.audit.list(await workspaceId(), 0, 1000);
    const secretOf = (html: string) => /id="new-key"[^>]*value="(lg_[^"]+)"/.exec(html)?.[1] ?? '';

    test('an admin creates a key: the secret is shown once, works on the API, and the list never shows it again', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const created = await agent
        .post('/admin/api-keys')
        .type('form')
        .send({ _csrf: csrf, name: 'n8n production', role: 'reviewer' });
      expect(created.status).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      expect(created.text).toContain('you will not see this key again');
      expect(created.text).toContain('<script src="/static/copy.js" defer></script>');
      expect(created.text).toContain('data-copy="new-key"');
      const key = secretOf(created.text);
      expect(key).toMatch(/^lg_/);
      const caller = await request(w.app).get('/api/v1/me').set(bearer(key));
      expect([caller.status, caller.body.role]).toEqual([200, 'reviewer']);

      const page = await agent.get('/admin/api-keys');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain(key);
      expect(page.text).not.toContain('copy.js');
      const record = (await w.store.read.apiKeys.listActive(await workspaceId())).find(
        (k) => k.name === 'n8n production',
      )!;
      const row = new RegExp(`<tr data-key-id="${record.id}">[\\s\\S]*?</tr>`).exec(page.text)?.[0] ?? '';
      expect(row).toContain('n8n production');
      expect(row).toContain('reviewer');
      expect(row).toContain(`${record.prefix}…`);
      expect(row).toContain('admin@example.com');
      // The key was used a moment ago (the caller call above).
      expect(row).not.toContain('>never<');
      expect((await audit()).filter((e) => e.action === 'api_key.created' && e.target.id === record.id)).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ type: 'user', role: 'admin' }) }),
      ]);
    });

    test('a key revoked on the page gets 401 at once on the API; the confirmation comes first; the audit log has it', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const created = await agent
        .post('/admin/api-keys')
        .type('form')
        .send({ _csrf: csrf, name: 'to revoke', role: 'viewer' });
      const key = secretOf(created.text);
      expect((await request(w.app).get('/api/v1/tasks').set(bearer(key))).status).toBe(200);
      const record = (await w.store.read.apiKeys.listActive(await workspaceId())).find((k) => k.name === 'to revoke')!;

      const confirm = await agent.get(`/admin/api-keys/${record.id}/revoke`);
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('Revoke the key "to revoke"?');
      expect(confirm.text).toContain('stops working at once');
      expect(confirm.text).toContain(`action="/admin/api-keys/${record.id}/revoke"`);
      // Only the confirmation's POST revokes: the key still works.
      expect((await request(w.app).get('/api/v1/tasks').set(bearer(key))).status).toBe(200);

      const withoutCsrf = await agent.post(`/admin/api-keys/${record.id}/revoke`).type('form').send({});
      expect(withoutCsrf.status).toBe(403);
      expect((await request(w.app).get('/api/v1/tasks').set(bearer(key))).status).toBe(200);

      const revoked = await agent.post(`/admin/api-keys/${record.id}/revoke`).type('form').send({ _csrf: csrf });
      expect(revoked.status).toBe(303);
      expect((await request(w.app).get('/api/v1/tasks').set(bearer(key))).status).toBe(401);
      const after = await agent.get(revoked.headers.location as string);
      expect(after.text).toContain('revoked: it no longer works');
      expect(after.text).not.toContain(`data-key-id="${record.id}"`);
      expect((await audit()).filter((e) => e.action === 'api_key.revoked' && e.target.id === record.id)).toHaveLength(
        1,
      );
      // Twice is not found, and says so.
      const again = await agent.post(`/admin/api-keys/${record.id}/revoke`).type('form').send({ _csrf: csrf });
      expect(again.status).toBe(404);
    });

    test('a nameless key is refused with the form kept; reviewers and viewers get 403 and see no nav link', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const before = (await w.store.read.apiKeys.listActive(await workspaceId())).length;
      const nameless = await agent
        .post('/admin/api-keys')
        .type('form')
        .send({ _csrf: csrf, name: '  ', role: 'admin' });
      expect(nameless.status).toBe(400);
      expect(nameless.text).toContain('Give the key a name');
      expect(nameless.text).toMatch(/<option value="admin" selected>/);
      expect((await w.store.read.apiKeys.listActive(await workspaceId())).length).toBe(before);
      expect((await agent.get('/board')).text).toContain('href="/admin/api-keys"');

      for (const email of ['rev@example.com', 'view@example.com']) {
        const other = await w.login(email);
        expect((await other.agent.get('/admin/api-keys')).status).toBe(403);
        expect((await other.agent.get('/board')).text).not.toContain('href="/admin/api-keys"');
        const sneaky = await other.agent
          .post('/admin/api-keys')
          .type('form')
          .send({ _csrf: other.csrf, name: 'sneaky', role: 'admin' });
        expect(sneaky.status).toBe(403);
        const victim = (await w.store.read.apiKeys.listActive(await workspaceId()))[0]!;
        const revoke = await other.agent
          .post(`/admin/api-keys/${victim.id}/revoke`)
          .type('form')
          .send({ _csrf: other.csrf });
        expect(revoke.status).toBe(403);
      }
      const names = (await w.store.read.apiKeys.listActive(await workspaceId())).map((k) => k.name);
      expect(names).not.toContain('sneaky');
    });

    test.each(XSS_CORPUS)(
      'a key named with %s is shown as text on the list, the secret box and the confirmation',
      async (_name, evil) => {
        const { agent, csrf } = await w.login('admin@example.com');
        const created = await agent
          .post('/admin/api-keys')
          .type('form')
          .send({ _csrf: csrf, name: evil, role: 'viewer' });
        expect(created.status).toBe(201);
        const record = (await w.store.read.apiKeys.listActive(await workspaceId())).find(
          (k) => k.name === evil.trim(),
        )!;
        const pages = [
          created.text,
          (await agent.get('/admin/api-keys')).text,
          (await agent.get(`/admin/api-keys/${record.id}/revoke`)).text,
        ];
        for (const page of pages) expect(inertnessProblems(page, evil)).toEqual([]);
      },
    );
  });
}
