import request from 'supertest';
import { eraseExpiredPayloads } from '../../domain/tasks/erase-payloads.js';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

const DAY_MS = 24 * 60 * 60 * 1000;

for (const database of DATABASES) {
  describe(`${database}: task page after payload retention`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);

    test('says plainly the payload was erased by retention, with its digest, and shows no payload or context', async () => {
      const task = await createTask({
        payload: { iban: 'DE89370400440532013000' },
        context: { note: 'Ann <Example>' },
      });
      const decided = await request(w.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(w.keys.admin))
        .send({ action: 'approve' });
      expect(decided.status).toBe(200);
      const { agent } = await w.login('rev@example.com');
      const before = await agent.get(`/tasks/${task.id}`);
      expect(before.text).toContain('DE89370400440532013000');
      expect(before.text).not.toContain('id="payload-erased"');

      expect(
        await eraseExpiredPayloads(
          { store: w.store },
          { now: Date.now() + 31 * DAY_MS, retentionMs: 30 * DAY_MS, batchSize: 10 },
        ),
      ).toEqual({ erased: 1 });
      const { payloadErasure } = (await request(w.app).get(`/api/v1/tasks/${task.id}`).set(bearer(w.keys.viewer))).body;
      const page = await agent.get(`/tasks/${task.id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('id="payload-erased"');
      expect(page.text).toContain('Payload erased by retention');
      expect(page.text).toContain(`<code class="digest">${payloadErasure.shownDigest}</code>`);
      expect(page.text).not.toContain('DE89370400440532013000');
      expect(page.text).not.toContain('id="original-payload"');
      expect(page.text).not.toContain('id="context"');
      expect(page.text).toContain('payload_erased');
    });
  });
}
