import { randomUUID } from 'node:crypto';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type Request, type Router } from 'express';
import type { Principal } from '../domain/kernel/access.js';
import { AppError } from '../domain/kernel/errors.js';
import type { CreateTaskDeps } from '../domain/tasks/create-task.js';

export const MCP_PATH = '/mcp';

/**
 * The SDK (and the tools over it) load on the first /mcp request, not at start-up: most servers never
 * see one, and every start (the CLI, each worker process) would otherwise pay for loading it.
 */
interface McpModules {
  tools: typeof import('@loopgate/mcp');
  http: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  types: typeof import('@modelcontextprotocol/sdk/types.js');
  port: typeof import('./in-process-port.js');
}
let mcpModules: McpModules | undefined;
// require, not import(): import() would load the SDK's ESM build beside the CJS one @loopgate/mcp uses.
const loadMcp = (): McpModules => {
  mcpModules ??= {
    tools: require('@loopgate/mcp'),
    http: require('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    types: require('@modelcontextprotocol/sdk/types.js'),
    port: require('./in-process-port.js'),
  };
  return mcpModules;
};

/** A session nobody has used for this long is closed (clients that vanish never send DELETE). */
const IDLE_MS = 60 * 60 * 1000;
/** Sessions one key may hold open; opening another closes that key's least recently used one. */
export const MAX_SESSIONS_PER_KEY = 20;

interface Session {
  transport: StreamableHTTPServerTransport;
  /** The key (workspace and actor) that opened it: only that key may use it. */
  owner: string;
  principal: Principal;
  lastUsed: number;
}

const ownerOf = (principal: Principal) =>
  `${principal.workspaceId}\n${principal.actor.type}\n${principal.actor.id ?? ''}`;

/**
 * MCP over streamable HTTP at /mcp, with API-key bearer auth on every request: the key's role and
 * workspace apply to every tool. Sessions are stateful (elicitation answers come back on a later POST),
 * kept in this process and bound to the key that opened them.
 */
export function mcpRouter(
  deps: CreateTaskDeps & { publicUrl: string; authenticate: (req: Request) => Promise<Principal> },
): Router {
  const sessions = new Map<string, Session>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastUsed > IDLE_MS) {
        sessions.delete(id);
        void session.transport.close();
      }
    }
  }, 60_000);
  sweep.unref();

  const router = express.Router();
  router.all(MCP_PATH, async (req, res, next) => {
    try {
      const principal = await deps.authenticate(req);
      const sessionId = req.get('mcp-session-id');
      if (sessionId !== undefined) {
        const session = sessions.get(sessionId);
        // Another key's session is as unknown to this key as an expired one: 404 tells the client to start anew.
        if (!session || session.owner !== ownerOf(principal)) {
          throw new AppError('not_found', 'No MCP session with this Mcp-Session-Id for this key; initialize again');
        }
        session.principal = principal;
        session.lastUsed = Date.now();
        await session.transport.handleRequest(req, res, req.body);
        return;
      }
      const { tools, http, types, port } = loadMcp();
      if (req.method !== 'POST' || !types.isInitializeRequest(req.body)) {
        throw new AppError(
          'validation_failed',
          'Start an MCP session with an initialize request (POST, no Mcp-Session-Id)',
        );
      }
      const session: Session = {
        transport: new http.StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (id) => {
            const mine = [...sessions.values()].filter((other) => other.owner === session.owner);
            if (mine.length >= MAX_SESSIONS_PER_KEY) {
              const oldest = mine.reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b));
              if (oldest.transport.sessionId) sessions.delete(oldest.transport.sessionId);
              void oldest.transport.close();
            }
            sessions.set(id, session);
          },
        }),
        owner: ownerOf(principal),
        principal,
        lastUsed: Date.now(),
      };
      session.transport.onclose = () => {
        if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
      };
      const server = tools.createLoopgateMcpServer(port.inProcessPort(deps, () => session.principal, deps.publicUrl));
      await server.connect(session.transport);
      await session.transport.handleRequest(req, res, req.body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
