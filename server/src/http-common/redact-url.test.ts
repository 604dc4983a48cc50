import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { openTestStore } from '../test-support/databases.js';
import { buildTestApp } from '../test-support/fixtures.js';
import { redactTokenPath } from './redact-url.js';

describe('tokens in URLs stay out of the access log', () => {
  test.each([
    ['/review/Zk3x9_secret-token', '/review/[token]'],
    ['/review/Zk3x9?x=1', '/review/[token]?x=1'],
    ['/invite/abcDEF123', '/invite/[token]'],
    ['/tasks/tsk_1', '/tasks/tsk_1'],
    ['/reviewers/x', '/reviewers/x'],
    ['/api/v1/tasks?queue=review', '/api/v1/tasks?queue=review'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactTokenPath(url)).toBe(logged);
  });

  test('a request for a review link is logged without its token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { store, close } = await openTestStore('sqlite');
    try {
      const t = await buildTestApp(store, Date.now, { logger: pino({ level: 'info' }, sink) });
      const token = 'ZZsecretZZ0123456789abcdefghijklmnop';
      const res = await request(t.app).get(`/review/${token}`);
      expect(res.status).toBe(410);
      const access = lines.map((line) => JSON.parse(line)).find((entry) => entry.req?.url?.startsWith('/review/'));
      expect(access?.req.url).toBe('/review/[token]');
      expect(lines.join('')).not.toContain(token);
    } finally {
      await close();
    }
  });
});
