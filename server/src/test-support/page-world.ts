import type { QueueConfigInput, Role } from '@loopgate/shared';
import type { Express } from 'express';
import request from 'supertest';
import { upsertUser } from '../domain/admin/users.js';
import type { EmailMessage } from '../domain/kernel/notifier.js';
import { hashToken } from '../domain/kernel/secrets.js';
import type { Store } from '../domain/store.js';
import { openTestStore, type TestDatabase } from './databases.js';
import { buildTestApp, type TestApp } from './fixtures.js';
import { csrfOf, logInAs, type WebAgent } from './web-login.js';

/** The password of every account a page test sets up. */
export const PASSWORD = 'correct horse battery';

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

export interface PageWorldSetup {
  /** Accounts made before the tests: in the default workspace unless a workspace slug is given. */
  users: readonly (readonly [email: string, role: Role, workspaceSlug?: string])[];
  /** Reviewer groups made through the API, members by e-mail. */
  groups?: readonly (readonly [name: string, members: readonly string[]])[];
  queues?: readonly (readonly [name: string, config: QueueConfigInput])[];
  /** Give the app a mailer (invitations land in `mail`); without one the users page cannot add anyone. */
  mailer?: boolean;
}

/**
 * The real app over a real store, with accounts, groups and queues, as page tests see it. Filled in
 * by the beforeAll that `usePageWorld` registers; `clockOffset` and `mail` start empty in each test.
 */
export interface PageWorld {
  app: Express;
  keys: TestApp['keys'];
  store: Store;
  /** Date.now() moved by `clockOffset` ms: what the app and the tests take as now. */
  clock: () => number;
  clockOffset: number;
  /** User ids by e-mail. */
  users: Record<string, string>;
  /** Mails the app's mailer sent (with `mailer: true`). */
  mail: EmailMessage[];
  /** What the app told onInvitationSent. */
  logged: { to: string[]; link: string }[];
  login(email: string, password?: string): Promise<{ agent: WebAgent; csrf: string }>;
}

/** Registers beforeAll/afterAll/beforeEach in the calling describe; the world is usable inside tests. */
export function usePageWorld(database: TestDatabase, setup: PageWorldSetup): PageWorld {
  let close: () => Promise<void> = async () => {};
  const world = {
    clockOffset: 0,
    clock: () => Date.now() + world.clockOffset,
    users: {},
    mail: [],
    logged: [],
    login: (email, password = PASSWORD) => logInAs(world.app, email, password),
  } as Partial<PageWorld> as PageWorld;

  beforeAll(async () => {
    const opened = await openTestStore(database);
    close = opened.close;
    const { store } = opened;
    const { clock } = world;
    const t = await buildTestApp(
      store,
      clock,
      setup.mailer
        ? {
            notifier: { send: async (message) => void world.mail.push(message) },
            onInvitationSent: (message, link) => void world.logged.push({ to: message.to, link }),
          }
        : {},
    );
    Object.assign(world, { app: t.app, keys: t.keys, store });
    for (const [email, role, workspaceSlug] of setup.users) {
      world.users[email] = (
        await upsertUser({ store, clock }, { email, password: PASSWORD, role, workspaceSlug })
      ).userId;
    }
    for (const [name, members] of setup.groups ?? []) {
      const group = await request(t.app)
        .post('/api/v1/reviewer-groups')
        .set(bearer(t.keys.admin))
        .send({ name, members });
      expect(group.status).toBe(201);
    }
    for (const [name, config] of setup.queues ?? []) {
      const queue = await request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name, config });
      expect(queue.status).toBe(201);
    }
  });
  afterAll(async () => close());
  beforeEach(() => {
    world.mail.length = 0;
    world.clockOffset = 0;
  });
  return world;
}

/** A task through the API as the reviewer key, and how the API then sees it. */
export function taskHelpers(world: PageWorld) {
  return {
    async createTask(body: object = {}): Promise<{ id: string }> {
      const res = await request(world.app)
        .post('/api/v1/tasks')
        .set(bearer(world.keys.reviewer))
        .send({ title: 'Refund order 42', queue: 'support', payload: { amount: 50, currency: 'EUR' }, ...body });
      expect(res.status).toBe(201);
      return res.body;
    },
    async apiTask(id: string) {
      return (await request(world.app).get(`/api/v1/tasks/${id}`).set(bearer(world.keys.viewer))).body;
    },
    async events(id: string): Promise<{ type: string; actor: { type: string; id: string } }[]> {
      return (await request(world.app).get(`/api/v1/tasks/${id}/events`).set(bearer(world.keys.viewer))).body.data;
    },
  };
}

/** Invitations sent from the users page and accepted on their link's page, as a browser would. */
export function invitationHelpers(world: PageWorld) {
  return {
    /** Invites through the admin page; returns the link's path from the mail. */
    async inviteByForm(email: string, role = 'reviewer', name = ''): Promise<string> {
      const { agent, csrf } = await world.login('admin@example.com');
      const res = await agent.post('/admin/users/invite').type('form').send({ _csrf: csrf, email, name, role });
      expect(res.status).toBe(303);
      const link = /^ {2}(\S+\/invite\/\S+)$/m.exec(world.mail[world.mail.length - 1]?.text ?? '')?.[1] ?? '';
      expect(link).toMatch(/^http:\/\/localhost:3000\/invite\/[\w-]{43}$/);
      return new URL(link).pathname;
    },

    /** Opens the link in a fresh browser and submits its form. */
    async accept(path: string, password: string, confirm = password) {
      const agent = request.agent(world.app);
      const form = await agent.get(path);
      const res = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password, confirm });
      return { agent, form, res };
    },

    async loginStatus(email: string, password: string) {
      const agent = request.agent(world.app);
      const form = await agent.get('/login');
      return (
        await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email, password })
      ).status;
    },

    invitationOf: async (path: string) =>
      world.store.read.invitations.findByHash(hashToken(path.replace('/invite/', ''))),
  };
}

/** The support desk most page tests run in: four accounts, the ops group (both reviewers), the support queue. */
export const SUPPORT_DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['rev@example.com', 'reviewer'],
    ['rev2@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
  ],
  groups: [['ops', ['rev@example.com', 'rev2@example.com']]],
  queues: [['support', { reviewerGroups: ['ops'] }]],
};

/** Where invitations are tested: an admin who can mail, a reviewer, a viewer, and the admin of another workspace. */
export const INVITING_DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['rev@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
    // The admin of a second workspace, the one who must not reach into the first.
    ['mallory@example.com', 'admin', 'other'],
  ],
  mailer: true,
};
