import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { buildWebhookPayload } from '../domain/delivery/webhook-payload.js';
import type { EmailMessage } from '../domain/kernel/notifier.js';
import { sendReviewMails } from '../domain/reviewers/review-mail.js';
import { DATABASES } from '../test-support/databases.js';
import { bearer, type PageWorldSetup, taskHelpers, usePageWorld } from '../test-support/page-world.js';

/** The ops group decides; level 1 of `partners` also takes guests, `support` does not. */
const PARTNER_DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['rev@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
  ],
  groups: [['ops', ['rev@example.com']]],
  queues: [
    ['support', { reviewerGroups: ['ops'] }],
    ['partners', { reviewerGroups: ['ops'], levels: [{ name: 'review', group: 'ops', allowGuests: true }] }],
  ],
};

/** docs/reviewers.md's external reviewers examples, sent as the doc shows them: the doc is the fixture. */
function docsExample(call: string): object {
  const doc = readFileSync(join(__dirname, '../../../docs/reviewers.md'), 'utf8');
  const escaped = call.replace(/[/.]/g, '\\$&');
  const block = new RegExp(`\`\`\`json\n${escaped} \\(external reviewers\\)\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1];
  if (!block) throw new Error(`docs/reviewers.md lost its external reviewers example ${call}`);
  return JSON.parse(block);
}

for (const database of DATABASES) {
  describe(`${database}: external (guest) reviewers`, () => {
    const w = usePageWorld(database, PARTNER_DESK);
    const { apiTask, events } = taskHelpers(w);
    const admin = () => bearer(w.keys.admin);

    const setAllow = (allow: string[], key = w.keys.admin) =>
      request(w.app).post('/api/v1/settings/external-reviewers').set(bearer(key)).send({ allow });
    const create = (body: object) =>
      request(w.app)
        .post('/api/v1/tasks')
        .set(bearer(w.keys.reviewer))
        .send({ title: 'Partner refund', queue: 'partners', payload: { amount: 50 }, ...body });
    const taskCount = async () =>
      (await request(w.app).get('/api/v1/tasks?limit=200').set(bearer(w.keys.viewer))).body.data.length;

    async function mailFor(taskId: string) {
      w.mail.length = 0;
      return sendReviewMails(
        {
          store: w.store,
          clock: w.clock,
          notifier: { send: async (m) => void w.mail.push(m) },
          publicUrl: 'https://lg.example.com/',
        },
        (await w.store.read.workspaces.findBySlug('default'))!.id,
        taskId,
      );
    }
    const linkPath = (message: EmailMessage, label: string) =>
      new URL(new RegExp(`${label}:\\s+(\\S+)`).exec(message.text)?.[1] ?? 'https://x/').pathname;

    async function auditOf(taskId: string) {
      const res = await request(w.app).get(`/api/v1/audit?taskId=${taskId}`).set(admin());
      return res.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { action: string; actor: { type: string; id: string; role: null } });
    }

    beforeEach(async () => {
      expect((await setAllow([])).status).toBe(200);
    });

    test("docs/reviewers.md's example: a guest and a member of the level's group make its quorum of two", async () => {
      expect(
        (
          await request(w.app)
            .post('/api/v1/settings/external-reviewers')
            .set(admin())
            .send(docsExample('POST /api/v1/settings/external-reviewers'))
        ).body,
      ).toEqual({ allow: ['ann@partner.example', '@partner.example'] });
      expect(
        (await request(w.app).post('/api/v1/queues').set(admin()).send(docsExample('POST /api/v1/queues'))).status,
      ).toBe(201);
      const created = await request(w.app)
        .post('/api/v1/tasks')
        .set(bearer(w.keys.reviewer))
        .send(docsExample('POST /api/v1/tasks'));
      expect(created.status).toBe(201);
      expect(await mailFor(created.body.id)).toBe(2);
      const linkOf = (to: string) => linkPath(w.mail.find((m) => m.to[0] === to)!, 'Approve');
      const [guest, member] = [linkOf('gus@partner.example'), linkOf('rev@example.com')];
      expect((await request(w.app).post(guest).type('form').send({ action: 'approve' })).text).toContain(
        'waits for the other reviewers',
      );
      expect((await request(w.app).post(member).type('form').send({ action: 'approve' })).text).toContain(
        'The task is now approved',
      );
      const votes = await request(w.app).get(`/api/v1/tasks/${created.body.id}/votes`).set(bearer(w.keys.viewer));
      expect(votes.body.data.map((v: { actor: { type: string } }) => v.actor.type).sort()).toEqual(['guest', 'user']);
    });

    test('the setting is off by default, admin only, checked entry by entry, and audited', async () => {
      expect((await request(w.app).get('/api/v1/settings/external-reviewers').set(admin())).body).toEqual({
        allow: [],
      });
      expect((await setAllow(['@partner.example'], w.keys.reviewer)).status).toBe(403);
      const bad = await setAllow(['ann@partner.example', 'not an address', '@']);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['allow.1', 'allow.2']);
      const saved = await setAllow([' Ann@Partner.example ', '@Partner.Example', 'ann@partner.example']);
      expect(saved.body).toEqual({ allow: ['ann@partner.example', '@partner.example'] });
      const log = await request(w.app).get('/api/v1/audit').set(admin());
      const changes = log.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((e) => e.action === 'workspace.external_reviewers_changed');
      expect(changes.at(-1)).toMatchObject({
        actor: { type: 'api_key', role: 'admin' },
        data: { from: [], to: ['ann@partner.example', '@partner.example'] },
      });
    });

    test('naming a non-member without the setting is a 400 that says how to allow it; nothing is written', async () => {
      const before = await taskCount();
      const res = await create({ reviewers: ['rev@example.com', 'gus@partner.example'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('reviewer_not_member');
      expect(res.body.detail).toContain('gus@partner.example');
      expect(res.body.detail).toContain('/settings/reviewers');
      expect(res.body.detail).toContain('POST /api/v1/settings/external-reviewers');
      expect(res.body.errors).toEqual([{ path: 'reviewers.1', message: 'gus@partner.example is not a member' }]);
      expect(await taskCount()).toBe(before);
      // An allowlist that names someone else still refuses this address.
      await setAllow(['@other.example']);
      expect((await create({ reviewers: ['gus@partner.example'] })).body.code).toBe('reviewer_not_member');
    });

    test("a guest on a queue whose first level does not allow guests is a 400 naming the level's setting", async () => {
      await setAllow(['@partner.example']);
      const before = await taskCount();
      const res = await create({ queue: 'support', reviewers: ['gus@partner.example'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.detail).toContain('allowGuests: true');
      expect(await taskCount()).toBe(before);
    });

    test('an external reviewer decides by link and is recorded as a guest', async () => {
      await setAllow(['@partner.example']);
      const created = await create({ reviewers: ['Gus@Partner.example'] });
      expect(created.status).toBe(201);
      expect(await mailFor(created.body.id)).toBe(1);
      const mail = w.mail[0]!;
      expect(mail.to).toEqual(['gus@partner.example']);
      const approve = linkPath(mail, 'Approve');
      const page = await request(w.app).get(approve);
      expect(page.status).toBe(200);
      expect(page.text).toContain('an external reviewer (guest)');
      expect(page.text).toMatch(/<button type="submit" name="action" value="approve" id="approve"[^>]*>/);
      expect(page.text).not.toMatch(/id="approve"[^>]* disabled/);
      const done = await request(w.app).post(approve).type('form').send({ action: 'approve' });
      expect(done.status).toBe(200);
      expect(done.text).toContain('The task is now approved');
      // No session, and no way on from the link: a guest has no account.
      expect(done.headers['set-cookie']).toBeUndefined();
      expect(done.text).not.toContain('/tasks/next');
      const task = await apiTask(created.body.id);
      expect(task.status).toBe('approved');
      expect(task.decision.decidedBy).toEqual({
        type: 'guest',
        id: 'gus@partner.example',
        name: 'gus@partner.example',
      });
      const decided = (await events(created.body.id)).find((e) => e.type === 'decided');
      expect(decided?.actor).toMatchObject({ type: 'guest', id: 'gus@partner.example' });
      const ledger = await auditOf(created.body.id);
      expect(ledger.find((e) => e.action === 'task.decided')?.actor).toMatchObject({
        type: 'guest',
        id: 'gus@partner.example',
        role: null,
      });
      // Webhooks and callbacks name the guest as the reviewer.
      const ws = (await w.store.read.workspaces.findBySlug('default'))!.id;
      const stored = (await w.store.read.tasks.findById(ws, created.body.id))!;
      const event = (await w.store.read.taskEvents.listForTask(ws, created.body.id)).find((e) => e.type === 'decided')!;
      expect(buildWebhookPayload('task.decided', stored, event).data.reviewers).toEqual([
        { type: 'guest', id: 'gus@partner.example', name: 'gus@partner.example' },
      ]);
      // The link was the whole credential: it cannot sign in or open anything else.
      expect((await request(w.app).get('/board')).status).not.toBe(200);
    });

    test("a guest's link on a level that no longer allows guests shows why and is refused", async () => {
      await setAllow(['gus@partner.example']);
      const created = await create({ reviewers: ['gus@partner.example'] });
      await mailFor(created.body.id);
      const approve = linkPath(w.mail[0]!, 'Approve');
      const turnedOff = await request(w.app)
        .put('/api/v1/queues/partners')
        .set(admin())
        .send({ config: { reviewerGroups: ['ops'], levels: [{ name: 'review', group: 'ops' }] } });
      expect(turnedOff.status).toBe(200);
      const page = await request(w.app).get(approve);
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/id="approve"[^>]* disabled/);
      expect(page.text).toContain('does not take decisions from external reviewers');
      const refused = await request(w.app).post(approve).type('form').send({ action: 'approve' });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('does not take decisions from external reviewers');
      expect((await apiTask(created.body.id)).status).toBe('pending_review');
      await request(w.app)
        .put('/api/v1/queues/partners')
        .set(admin())
        .send({ config: { reviewerGroups: ['ops'], levels: [{ name: 'review', group: 'ops', allowGuests: true }] } });
    });

    test('taking an address off the allowlist ends its links; members named alongside are mailed as before', async () => {
      await setAllow(['@partner.example']);
      const created = await create({ reviewers: ['rev@example.com', 'gus@partner.example'] });
      expect(await mailFor(created.body.id)).toBe(2);
      expect(w.mail.map((m) => m.to[0]).sort()).toEqual(['gus@partner.example', 'rev@example.com']);
      const guestLink = linkPath(w.mail.find((m) => m.to[0] === 'gus@partner.example')!, 'Approve');
      await setAllow([]);
      const gone = await request(w.app).get(guestLink);
      expect(gone.status).toBe(410);
      expect(gone.text).toContain('may no longer review here');
    });
  });
}
