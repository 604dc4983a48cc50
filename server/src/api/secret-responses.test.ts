import request from 'supertest';
import { bearer, useTestApp } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

/** Answers that hold a secret must never be kept by a browser, proxy or CDN cache. */
for (const database of DATABASES) {
  describe(`${database}: answers carrying secrets`, () => {
    const d = useTestApp(database);

    test('every answer that carries a secret says Cache-Control: no-store; others do not', async () => {
      const admin = bearer(d.keys.admin);
      const webhook = await request(d.app)
        .post('/api/v1/webhooks')
        .set(admin)
        .send({ url: 'https://hooks.example.com/loopgate', events: ['task.decided'] });
      expect(webhook.status).toBe(201);
      const answers = [
        webhook,
        await request(d.app).post(`/api/v1/webhooks/${webhook.body.id}/rotate-secret`).set(admin),
        await request(d.app).get('/api/v1/settings/callback-secret').set(admin),
        await request(d.app).post('/api/v1/settings/callback-secret/rotate').set(admin),
        await request(d.app)
          .post('/api/v1/integrations/slack')
          .set(admin)
          .send({ webhookUrl: 'https://hooks.slack.com/services/T0/B0/secretpart', signingSecret: 'slack-signing' }),
        await request(d.app).get('/api/v1/integrations/slack').set(admin),
        await request(d.app).post('/api/v1/api-keys').set(admin).send({ name: 'cached?', role: 'viewer' }),
      ];
      for (const res of answers) {
        expect([res.status, res.headers['cache-control']]).toEqual([expect.any(Number), 'no-store']);
        expect(res.status).toBeLessThan(300);
      }
      const plain = await request(d.app).get('/api/v1/webhooks').set(admin);
      expect([plain.status, plain.headers['cache-control']]).toEqual([200, undefined]);
    });

    test('the OpenAPI document marks every answer with a secret field as no-store (so a new one cannot forget)', async () => {
      type Schema = Record<string, unknown>;
      const doc = (await request(d.app).get('/api/openapi.json')).body as {
        paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
        components: { schemas: Record<string, Schema> };
      };
      const fieldsOf = (schema: unknown, seen = new Set<string>()): string[] => {
        if (!schema || typeof schema !== 'object') return [];
        const s = schema as Schema;
        if (typeof s.$ref === 'string') {
          const id = s.$ref.split('/').pop() ?? '';
          if (seen.has(id)) return [];
          seen.add(id);
          return fieldsOf(doc.components.schemas[id], seen);
        }
        const properties = Object.entries((s.properties ?? {}) as Record<string, unknown>);
        return [
          ...properties.flatMap(([name, sub]) => [name, ...fieldsOf(sub, seen)]),
          ...fieldsOf(s.items, seen),
          ...[s.allOf, s.anyOf, s.oneOf]
            .flatMap((list) => (Array.isArray(list) ? list : []))
            .flatMap((sub) => fieldsOf(sub, seen)),
        ];
      };
      const SECRET_FIELDS = ['secret', 'key', 'signingSecret', 'token', 'password'];
      const withSecrets: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          for (const [status, response] of Object.entries(operation.responses)) {
            if (Number(status) >= 300) continue;
            const content = response.content as Record<string, { schema: unknown }> | undefined;
            const fields = Object.values(content ?? {}).flatMap((c) => fieldsOf(c.schema));
            if (!fields.some((field) => SECRET_FIELDS.includes(field))) continue;
            withSecrets.push(`${method} ${path}`);
            expect([`${method} ${path}`, response.headers]).toEqual([
              `${method} ${path}`,
              { 'Cache-Control': expect.objectContaining({ schema: { const: 'no-store' } }) },
            ]);
          }
        }
      }
      expect(withSecrets.sort()).toEqual([
        'get /api/v1/settings/callback-secret',
        'post /api/v1/api-keys',
        'post /api/v1/settings/callback-secret/rotate',
        'post /api/v1/webhooks',
        'post /api/v1/webhooks/{id}/rotate-secret',
      ]);
    });
  });
}
