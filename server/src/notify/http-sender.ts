import http from 'node:http';
import https from 'node:https';
import { policyKey, type TargetPolicy } from '../domain/delivery/callback-targets.js';
import { AppError } from '../domain/kernel/errors.js';
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
  /** Which addresses may be called: the server's and the workspace's allowances together. */
  policy: TargetPolicy;
}

export type HttpPost = (request: PostRequest) => Promise<SendResult>;

/** The policy a connection was checked under travels with the request options to the agent. */
interface PolicyRequestOptions extends http.RequestOptions {
  targetPolicyKey: string;
}

/**
 * Keep-alive agents: a busy receiver is sent to over warm connections instead of a handshake per
 * delivery. A socket is pooled under its policy as well as its host and port, so a connection one
 * workspace's allow list let through is never reused for a workspace whose list would refuse it.
 */
class PolicyPooledHttpAgent extends http.Agent {
  override getName(options?: http.ClientRequestArgs): string {
    return `${super.getName(options)}|${(options as Partial<PolicyRequestOptions> | undefined)?.targetPolicyKey ?? ''}`;
  }
}
class PolicyPooledHttpsAgent extends https.Agent {
  override getName(options?: https.RequestOptions): string {
    return `${super.getName(options)}|${(options as Partial<PolicyRequestOptions> | undefined)?.targetPolicyKey ?? ''}`;
  }
}
const agents = {
  http: new PolicyPooledHttpAgent({ keepAlive: true, maxSockets: 64 }),
  https: new PolicyPooledHttpsAgent({ keepAlive: true, maxSockets: 64 }),
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
    assertSendable(url, request.policy);
  } catch (error) {
    // Never the URL itself: this text is the attempt's error, shown to every member (see urlOrigin).
    return Promise.resolve(done(null, error instanceof AppError ? error.message : 'Not a valid URL'));
  }
  const secure = url.protocol === 'https:';
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // One options object (not the url, options form): some hosts wrap http.request with a two-argument proxy.
    const options: PolicyRequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      // Per request, so the connect-time check applies this delivery's policy.
      lookup: guardedLookup(request.policy) as never,
      targetPolicyKey: policyKey(request.policy),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(request.body).toString(),
        'user-agent': 'Loopgate-Webhooks/1',
        ...request.headers,
      },
    };
    const req = (secure ? https : http).request(options, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) res.destroy();
      });
      const status = res.statusCode ?? null;
      res.on('end', () => finish(done(status, null)));
      res.on('close', () => finish(done(status, null)));
      res.on('error', () => finish(done(status, null)));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    // A refusal by the connect-time check already says what to change to allow the address.
    req.on('error', (error: NodeJS.ErrnoException) => finish(done(null, error.message)));
    req.end(request.body);
  });
};
