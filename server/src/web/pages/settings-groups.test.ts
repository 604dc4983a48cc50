import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

for (const database of DATABASES) {
  describe(`${database}: reviewer groups page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const apiGroup = async (name: string) => {
      const res = await request(w.app).get('/api/v1/reviewer-groups').set(bearer(w.keys.viewer));
      const group = (
        res.body.data as { name: string; members: { type: string; id: string; email: string | null }[] }[]
      ).find((g) => g.name === name);
      return group?.members.map((m) => m.email ?? m.id);
    };
    const audit = async () => {
      const ws = (await w.store.read.workspaces.findBySlug('default'))!.id;
      return (await w.store.read.audit.list(ws, 0, 1000)).map((e) => e.action);
    };

    test('an admin creates a group with members picked from the users, then adds and removes members; the API sees it', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const page = await agent.get('/settings/groups');
      expect(page.status).toBe(200);
      expect(page.text).toContain(`value="${w.users['rev@example.com']}"`);
      const created = await agent
        .post('/settings/groups')
        .type('form')
        .send(`_csrf=${csrf}&name=compliance&members=${w.users['rev@example.com']}`);
      expect(created.status).toBe(303);
      expect(await apiGroup('compliance')).toEqual(['rev@example.com']);
      const saved = await agent
        .post('/settings/groups/compliance/members')
        .type('form')
        .send(`_csrf=${csrf}&members=${w.users['rev2@example.com']}&members=${w.users['admin@example.com']}`);
      expect(saved.status).toBe(303);
      expect((await apiGroup('compliance'))?.sort()).toEqual(['admin@example.com', 'rev2@example.com']);
      const emptied = await agent.post('/settings/groups/compliance/members').type('form').send({ _csrf: csrf });
      expect(emptied.status).toBe(303);
      expect(await apiGroup('compliance')).toEqual([]);
      expect(await audit()).toEqual(
        expect.arrayContaining(['reviewer_group.created', 'reviewer_group.members_changed']),
      );
    });

    test('a bad or taken name shows the page again with the reason and what was typed; non-admins get 403', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const bad = await agent.post('/settings/groups').type('form').send({ _csrf: csrf, name: 'Not A Slug' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('lower-case letters');
      expect(bad.text).toContain('value="Not A Slug"');
      const taken = await agent.post('/settings/groups').type('form').send({ _csrf: csrf, name: 'ops' });
      expect(taken.status).toBe(409);
      expect(taken.text).toContain('already exists');
      for (const email of ['rev@example.com', 'view@example.com']) {
        const other = await w.login(email);
        expect((await other.agent.get('/settings/groups')).status).toBe(403);
        const sneaky = await other.agent.post('/settings/groups/ops/members').type('form').send({ _csrf: other.csrf });
        expect(sneaky.status).toBe(403);
      }
      expect((await apiGroup('ops'))?.sort()).toEqual(['rev2@example.com', 'rev@example.com']);
    });

    test.each(XSS_CORPUS)('a member named with %s is shown as text in the pickers', async (_name, evil) => {
      await w.store.transaction((tx) => tx.users.setName(w.users['rev@example.com']!, evil));
      const { agent } = await w.login('admin@example.com');
      expect(inertnessProblems((await agent.get('/settings/groups')).text, evil)).toEqual([]);
    });
  });
}
