import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { type Config, loadConfig } from './config.js';
import { bootstrapAdmin } from './domain/admin-service.js';
import { ApiKeyAuthenticator } from './domain/authenticate.js';
import type { Store } from './domain/ports.js';
import { InProcessTaskEventBus } from './events/in-process-bus.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { openStore } from './store/open-store.js';

export interface RunningServer {
  config: Readonly<Config>;
  store: Store;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** The composition root: config → database → services → HTTP → listen. */
export async function startServer(config: Readonly<Config> = loadConfig(), logger?: Logger): Promise<RunningServer> {
  const log = logger ?? createLogger(config.logLevel);
  const store = await openStore(config.database, { logging: config.dbLogging });
  const clock = Date.now;
  if (config.bootstrapAdmin && (await bootstrapAdmin({ store, clock }, config.bootstrapAdmin))) {
    log.info({ email: config.bootstrapAdmin.email }, 'created the first admin in the default workspace');
  }
  const bus = new InProcessTaskEventBus();
  const app = createApp({
    store,
    bus,
    clock,
    logger: log,
    authenticator: new ApiKeyAuthenticator({ store, clock }),
    publicUrl: config.publicUrl,
    bodyLimit: config.bodyLimit,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  // Long-polls last up to two minutes; keep idle keep-alive sockets from outliving a proxy's timeout.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, database: store.dialect }, 'Loopgate is listening');

  return {
    config,
    store,
    server,
    url,
    async stop() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Waiting long-polls would hold close() open; end them after a grace period.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await store.close();
    },
  };
}
