import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { upsertUser } from '../domain/admin/users.js';
import { createEmailNotifier } from '../notify/email-notifier.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp } from '../test-support/fixtures.js';
import { startReviewMailer } from './review-mailer.js';

for (const database of DATABASES) {
  describe(`${database}: review mailer (file transport)`, () => {
    test('a task offered to a group writes one .eml per reviewer with working links, once', async () => {
      const { store, close } = await openTestStore(database);
      const mailDir = mkdtempSync(path.join(tmpdir(), 'lg-mail-'));
      try {
        const clock = Date.now;
        const t = await buildTestApp(store, clock);
        for (const email of ['a@example.com', 'b@example.com']) {
          await upsertUser({ store, clock }, { email, password: 'correct horse battery', role: 'reviewer' });
        }
        const admin = { Authorization: `Bearer ${t.keys.admin}` };
        await request(t.app)
          .post('/api/v1/reviewer-groups')
          .set(admin)
          .send({ name: 'ops', members: ['a@example.com', 'b@example.com'] });
        await request(t.app)
          .post('/api/v1/queues')
          .set(admin)
          .send({ name: 'support', config: { reviewerGroups: ['ops'] } });
        const logged: string[] = [];
        const mailer = startReviewMailer({
          store,
          bus: t.bus,
          clock,
          notifier: createEmailNotifier({ smtpUrl: null, mailDir, from: 'Loopgate <lg@localhost>' }),
          publicUrl: 'http://localhost:3000',
          logger: pino({ level: 'silent' }),
          onSent: (_message, links) => logged.push(links.modify),
        });
        const created = await request(t.app)
          .post('/api/v1/tasks')
          .set({ Authorization: `Bearer ${t.keys.reviewer}` })
          .send({ title: 'Needs eyes', queue: 'support', payload: { a: 1 } });
        expect(created.status).toBe(201);
        await mailer.idle();
        // A later change of the same task at the same level (a claim) mails nobody again.
        const claimer = await request(t.app).post(`/api/v1/tasks/${created.body.id}/claim`).set(admin);
        expect([200, 403]).toContain(claimer.status);
        await mailer.idle();
        await mailer.stop();

        const files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
        expect(files).toHaveLength(2);
        const raw = files.map((f) => readFileSync(path.join(mailDir, f), 'utf8')).join('\n');
        expect(raw).toContain('Subject: [Loopgate] Review: Needs eyes');
        expect(logged).toHaveLength(2);
        const page = await request(t.app).get(new URL(logged[0] ?? '').pathname);
        expect(page.status).toBe(200);
        expect(page.text).toContain('Needs eyes');
      } finally {
        rmSync(mailDir, { recursive: true, force: true });
        await close();
      }
    });
  });
}
