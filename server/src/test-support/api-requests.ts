import type { Express } from 'express';
import request from 'supertest';
import type { AppDeps } from '../app.js';
import type { Store } from '../domain/store.js';
import { openTestStore, type TestDatabase, type TestDatabaseHandle } from './databases.js';
import { buildTestApp, type TestApp } from './fixtures.js';
import { useOpened } from './live.js';

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

export interface OpenedTestApp {
  store: Store;
  db: TestDatabaseHandle;
  t: TestApp;
  app: Express;
  keys: TestApp['keys'];
  /** POST /api/v1/tasks (201 expected): `validTask` as the reviewer key unless told otherwise. */
  createTask(body?: object, key?: string): ReturnType<typeof createTaskVia>;
  /** The task's history as the viewer key reads it. */
  eventsOf(id: string): ReturnType<typeof eventsVia>;
  /** Waits for the authenticator's last-use writes, then drops the database. */
  close(): Promise<void>;
}

/** A fresh database of `kind` with the real app over it (see buildTestApp). */
export async function openTestApp(
  kind: TestDatabase,
  clock: () => number = Date.now,
  overrides: Partial<AppDeps> = {},
): Promise<OpenedTestApp> {
  const opened = await openTestStore(kind);
  const t = await buildTestApp(opened.store, clock, overrides);
  return {
    store: opened.store,
    db: opened.db,
    t,
    app: t.app,
    keys: t.keys,
    createTask: (body = validTask, key = t.keys.reviewer) => createTaskVia(t.app, key, body),
    eventsOf: (id) => eventsVia(t.app, t.keys.viewer, id),
    async close() {
      await t.authenticator.settle();
      await opened.close();
    },
  };
}

/** A task as an agent sends it, with every optional field set. */
export const validTask = {
  title: 'Refund order 1234',
  description: 'Customer says the parcel arrived damaged',
  payload: { orderId: 1234, amount: 42.5 },
  context: { reasoning: 'photo shows a crushed box' },
  confidence: 0.62,
  riskLevel: 'high',
  tags: ['refund'],
  source: 'n8n',
  externalRef: 'order-1234',
  slaSeconds: 3600,
};

/** POST /api/v1/tasks as `key`, which must answer 201; the created task. */
export async function createTaskVia(app: Express, key: string, body: object = validTask) {
  const res = await request(app).post('/api/v1/tasks').set(bearer(key)).send(body);
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string; version: number };
}

/** A task's history as GET /api/v1/tasks/{id}/events lists it to `key`. */
export async function eventsVia(app: Express, key: string, id: string) {
  const res = await request(app).get(`/api/v1/tasks/${id}/events`).set(bearer(key));
  expect(res.status).toBe(200);
  return res.body.data as {
    type: string;
    fromStatus: string | null;
    toStatus: string;
    actor: { type: string; name: string };
  }[];
}

/** openTestApp before the describe block's tests, closed after them (see useOpened). */
export function useTestApp(kind: TestDatabase, clock: () => number = Date.now, overrides: Partial<AppDeps> = {}) {
  return useOpened(() => openTestApp(kind, clock, overrides));
}
