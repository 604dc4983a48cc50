import path from 'node:path';
import express, { type Router } from 'express';
import { AppError } from '../domain/kernel/errors.js';
import type { Store } from '../domain/store.js';
import { sendProblem } from '../http-common/problem.js';

/** Health, readiness, the OpenAPI document and its rendered form. None of these need a key. */
export function systemRouter(deps: { store: Store; openApi: () => unknown }): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      await deps.store.ping();
      res.json({ status: 'ready', database: deps.store.dialect });
    } catch (error) {
      req.log?.warn({ err: error }, 'readiness check failed');
      sendProblem(res, new AppError('service_unavailable', 'The database is not reachable'), req.originalUrl);
    }
  });
  router.get('/api/openapi.json', (_req, res) => {
    res.json(deps.openApi());
  });

  const swaggerAssets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.use('/docs/assets', express.static(swaggerAssets, { index: false, maxAge: '1h' }));
  router.get('/docs/init.js', (_req, res) => {
    res
      .type('application/javascript')
      .send("window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n");
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Loopgate API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`);
  });
  return router;
}
