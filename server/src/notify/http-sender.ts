import http from 'node:http';
import https from 'node:https';
import { AppError } from '../domain/errors.js';
import { assertSendable, guardedLookup } from './url-guard.js';

export interface SendResult {
  /** null when no response arrived (refused, timed out, connection error). */
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Skip the private-address check (the server-wide or workspace switch is on). */
  allowPrivate: boolean;
}

export type HttpPost = (request: PostRequest) => Promise<SendResult>;

/** Keep-alive agents: a busy receiver is sent to over warm connections instead of a handshake per delivery. */
const agents = {
  guarded: {
    http: new http.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup as never }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup as never }),
  },
  open: {
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  },
};

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one delivery. Redirects are never followed (a 3xx is a failed attempt: following it would
 * let a public URL bounce the request to a private one), and the whole exchange is bounded by
 * `timeoutMs`. Never throws: every failure becomes a result the attempt log can record.
 */
export const postJson: HttpPost = (request) => {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): SendResult => ({
    statusCode,
    error,
    latencyMs: Math.round(performance.now() - started),
  });
  let url: URL;
  try {
    url = new URL(request.url);
    if (!request.allowPrivate) assertSendable(url);
  } catch (error) {
    // Never the URL itself: this text is the attempt's error, shown to every member (see urlOrigin).
    return Promise.resolve(done(null, error instanceof AppError ? error.message : 'Not a valid URL'));
  }
  const secure = url.protocol === 'https:';
  const pool = request.allowPrivate ? agents.open : agents.guarded;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // One options object (not the url, options form): some hosts wrap http.request with a two-argument proxy.
    const req = (secure ? https : http).request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
        method: 'POST',
        agent: secure ? pool.https : pool.http,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(request.body).toString(),
          'user-agent': 'Loopgate-Webhooks/1',
          ...request.headers,
        },
      },
      (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) res.destroy();
        });
        const status = res.statusCode ?? null;
        res.on('end', () => finish(done(status, null)));
        res.on('close', () => finish(done(status, null)));
        res.on('error', () => finish(done(status, null)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ELOOPGATE_PRIVATE_ADDRESS'
          ? `${error.message}; set LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true or the workspace's allowPrivateCallbacks to allow it`
          : error.message;
      finish(done(null, message));
    });
    req.end(request.body);
  });
};
