import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isHalted, Loopgate, LoopgateError, LoopgateHaltedError } from './index.js';

/**
 * The stop button as the SDK sees it: a scripted HTTP server answering task creation the way
 * Loopgate does while a halt covers it (server/src/api/halts-api.test.ts checks the server's side).
 */
describe('a halted task creation', () => {
  const detail =
    'New tasks from agent "refund-bot" are halted by Ann (user) since 2026-02-10T08:00:00.000Z: runaway refunds. Open tasks can still be decided or cancelled.';
  let server: Server;
  let baseUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const halted = req.url === '/api/v1/tasks' && req.method === 'POST';
      res.writeHead(halted ? 423 : 409, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify(
          halted
            ? {
                type: 'urn:loopgate:problem:halted',
                title: 'An administrator has halted new tasks here',
                status: 423,
                code: 'halted',
                detail,
              }
            : {
                type: 'urn:loopgate:problem:conflict',
                title: 'The resource already exists',
                status: 409,
                code: 'conflict',
              },
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('createTask and requestApproval throw LoopgateHaltedError (code halted, status 423) with the server detail, once', async () => {
    const client = new Loopgate({ baseUrl, apiKey: 'lg_test' });
    const input = { title: 'Refund', payload: { amount: 5 }, agent: { id: 'refund-bot' } };
    for (const call of [() => client.createTask(input), () => client.requestApproval(input, { key: 'halted-1' })]) {
      requests.length = 0;
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LoopgateHaltedError);
      expect(error).toBeInstanceOf(LoopgateError);
      expect(error).toMatchObject({ name: 'LoopgateHaltedError', status: 423, code: 'halted', detail });
      expect((error as Error).message).toBe(`423 halted: ${detail}`);
      expect(isHalted(error)).toBe(true);
      // Not retried: a halt lasts until an admin resumes it.
      expect(requests).toEqual(['POST /api/v1/tasks']);
    }
  });

  test('other problems stay plain LoopgateErrors', async () => {
    const client = new Loopgate({ baseUrl, apiKey: 'lg_test' });
    const error = await client.getTask('tsk_1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoopgateError);
    expect(error).not.toBeInstanceOf(LoopgateHaltedError);
    expect(isHalted(error)).toBe(false);
  });
});
