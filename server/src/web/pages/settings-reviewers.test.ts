import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';

for (const database of DATABASES) {
  describe(`${database}: external reviewers settings page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const current = async () =>
      (await request(w.app).get('/api/v1/settings/external-reviewers').set(bearer(w.keys.admin))).body.allow;

    test('an admin saves the list one entry a line; a bad line is named and nothing is saved; clearing turns it off', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const page = await agent.get('/settings/reviewers');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Off while the list is empty');
      expect(page.text).toContain('<label for="external-allow">');
      const saved = await agent
        .post('/settings/reviewers')
        .type('form')
        .send({ _csrf: csrf, allow: 'Ann@Partner.example\r\n\r\n@partner.example' });
      expect(saved.status).toBe(303);
      expect(await current()).toEqual(['ann@partner.example', '@partner.example']);
      expect((await agent.get(saved.headers.location as string)).text).toContain('Saved: 2 entries');

      const bad = await agent
        .post('/settings/reviewers')
        .type('form')
        .send({ _csrf: csrf, allow: 'ann@partner.example\n<script>x</script>' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('Line 2 (&lt;script&gt;x&lt;/script&gt;)');
      expect(bad.text).not.toContain('<script>x</script>');
      expect(bad.text).toContain('aria-invalid="true"');
      expect(await current()).toEqual(['ann@partner.example', '@partner.example']);

      const off = await agent.post('/settings/reviewers').type('form').send({ _csrf: csrf, allow: '' });
      expect(off.status).toBe(303);
      expect(await current()).toEqual([]);
      const ws = (await w.store.read.workspaces.findBySlug('default'))!.id;
      const entries = (await w.store.read.audit.list(ws, 0, 10_000)).filter(
        (e) => e.action === 'workspace.external_reviewers_changed',
      );
      expect(entries.map((e) => e.data)).toEqual([
        { from: [], to: ['ann@partner.example', '@partner.example'] },
        { from: ['ann@partner.example', '@partner.example'], to: [] },
      ]);
      expect(entries[0]?.actor).toMatchObject({ type: 'user', id: w.users['admin@example.com'], role: 'admin' });
    });

    test('a reviewer may not open or change it', async () => {
      const { agent, csrf } = await w.login('rev@example.com');
      expect((await agent.get('/settings/reviewers')).status).toBe(403);
      expect(
        (await agent.post('/settings/reviewers').type('form').send({ _csrf: csrf, allow: '@x.example' })).status,
      ).toBe(403);
      expect(await current()).toEqual([]);
    });
  });
}
