import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { task, useDeliveryApp } from '../test-support/delivery-app.js';
import { sseReader } from '../test-support/sse.js';

for (const database of DATABASES) {
  describe(`${database}: the event stream`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('SSE: /api/v1/events streams the workspace’s task changes, not other workspaces’', async () => {
      const server = d.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const abort = new AbortController();
      try {
        const res = await fetch(`${base}/api/v1/events`, { headers: bearer(d.keys.viewer), signal: abort.signal });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const stream = sseReader(res);
        await stream.read(': connected');
        await d.create(task(), d.keys.otherWorkspaceAdmin);
        const { id } = await d.create(task());
        await request(d.app)
          .post(`/api/v1/tasks/${id}/decision`)
          .set(bearer(d.keys.reviewer))
          .send({ action: 'reject', comment: 'no' });
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
