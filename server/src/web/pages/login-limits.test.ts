import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import type { AppDeps } from '../../app.js';
import { upsertUser } from '../../domain/admin/users.js';
import type { Store } from '../../domain/store.js';
import { FlexibleAttemptLimiter } from '../../limits/attempt-limiter.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { anotherTestApp } from '../../test-support/fixtures.js';
import { csrfOf } from '../../test-support/web-login.js';

const PASSWORD = 'correct horse battery';
const REDIS_URL = process.env.LOOPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One login through the real form; answers the status and the page's error text. */
async function tryLogin(app: Express, email: string, password: string, forwardedFor?: string) {
  const agent = request.agent(app);
  const form = await agent.get('/login');
  let post = agent.post('/login').type('form');
  if (forwardedFor) post = post.set('X-Forwarded-For', forwardedFor);
  const res = await post.send({ _csrf: csrfOf(form.text), email, password });
  const error = /<p class="error" role="alert">([^<]*)</.exec(res.text)?.[1];
  return { status: res.status, error: error?.trim() ?? '' };
}

for (const database of DATABASES) {
  describe(`${database}: login limits`, () => {
    let store: Store;
    let close: () => Promise<void>;
    /** A fresh app (so a fresh per-process budget unless a shared limiter is given) over the one store. */
    const app = async (overrides: Partial<AppDeps> = {}) => anotherTestApp(store, Date.now, overrides);

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await upsertUser({ store, clock: Date.now }, { email: 'rita@example.com', password: PASSWORD, role: 'reviewer' });
    });
    afterAll(async () => close());

    test('by default X-Forwarded-For is not believed: rotating it from loopback buys no extra tries', async () => {
      const web = await app();
      const statuses: number[] = [];
      for (let i = 1; i <= 7; i++) {
        statuses.push((await tryLogin(web, 'rita@example.com', `guess ${i}`, `203.0.113.${i}`)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    });

    test('with LOOPGATE_TRUST_PROXY naming the proxy, limits key on the forwarded client address', async () => {
      const web = await app({ trustProxy: ['loopback'] });
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++)
        statuses.push((await tryLogin(web, 'rita@example.com', 'guess', '198.51.100.1')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // Another client behind the same proxy is not held back by the first one's failures.
      expect((await tryLogin(web, 'rita@example.com', PASSWORD, '198.51.100.2')).status).toBe(303);
    });

    test('one account sprayed from many addresses runs out account-wide', async () => {
      await upsertUser(
        { store, clock: Date.now },
        { email: 'sprayed@example.com', password: PASSWORD, role: 'viewer' },
      );
      const web = await app({ trustProxy: ['loopback'] });
      const statuses: number[] = [];
      for (let i = 1; i <= 20; i++) {
        statuses.push((await tryLogin(web, 'sprayed@example.com', `guess ${i}`, `192.0.2.${i}`)).status);
      }
      expect(statuses).toEqual(Array(20).fill(401));
      const refused = await tryLogin(web, 'sprayed@example.com', PASSWORD, '192.0.2.200');
      expect(refused.status).toBe(429);
      expect(refused.error).toMatch(/Too many failed logins for this account; try again in \d+ min/);
    });

    test('two app instances sharing one Redis spend one budget', async () => {
      const prefix = `loopgate:test:${randomBytes(6).toString('hex')}`;
      const logger = pino({ level: 'silent' });
      const limiters = [
        await FlexibleAttemptLimiter.connect(REDIS_URL, logger, prefix),
        await FlexibleAttemptLimiter.connect(REDIS_URL, logger, prefix),
      ];
      try {
        const [a, b] = [await app({ limiter: limiters[0] }), await app({ limiter: limiters[1] })];
        const statuses: number[] = [];
        for (const web of [a, b, a, b, a]) statuses.push((await tryLogin(web, 'rita@example.com', 'guess')).status);
        expect(statuses).toEqual([401, 401, 401, 401, 401]);
        expect((await tryLogin(b, 'rita@example.com', PASSWORD)).status).toBe(429);
        expect((await tryLogin(a, 'rita@example.com', PASSWORD)).status).toBe(429);
      } finally {
        await Promise.all(limiters.map((limiter) => limiter.close()));
      }
    });
  });
}
