import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { deliveryRequests, openDeliveryApp, task } from '../test-support/delivery-app.js';
import type { TestApp } from '../test-support/fixtures.js';
import type { Receiver } from '../test-support/receiver.js';
import { sseReader } from '../test-support/sse.js';

for (const database of DATABASES) {
  describe(`${database}: the event stream`, () => {
    let t: TestApp;
    let receiver: Receiver;
    let close: () => Promise<void>;
    beforeAll(async () => ({ t, receiver, close } = await openDeliveryApp(database, { workspaceAllowsPrivate: true })));
    afterAll(async () => close());
    beforeEach(() => receiver.respondWith(() => 200));
    const { create } = deliveryRequests(() => t);

    test('SSE: /api/v1/events streams the workspace’s task changes, not other workspaces’', async () => {
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const abort = new AbortController();
      try {
        const res = await fetch(`${base}/api/v1/events`, { headers: bearer(t.keys.viewer), signal: abort.signal });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const stream = sseReader(res);
        await stream.read(': connected');
        await create(task(), t.keys.otherWorkspaceAdmin);
        const { id } = await create(task());
        await request(t.app)
          .post(`/api/v1/tasks/${id}/decision`)
          .set(bearer(t.keys.reviewer))
          .send({ action: 'reject' });
        await stream.read('"status":"rejected"');
        const events = stream
          .text()
          .split('\n\n')
          .filter((block) => block.includes('event: task.changed'));
        expect(events.map((block) => JSON.parse(block.split('data: ')[1] ?? '{}').taskId)).toEqual([id, id]);
      } finally {
        abort.abort();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
}
