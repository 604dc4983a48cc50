import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { restPort } from './rest-port.js';
import { createLoopgateMcpServer } from './tools.js';

/**
 * `loopgate-mcp`: MCP over stdin/stdout for local clients, reaching Loopgate over REST. Configured by
 * LOOPGATE_URL and LOOPGATE_API_KEY; stdout is the protocol, so everything else goes to stderr.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const url = env.LOOPGATE_URL?.trim();
  const apiKey = env.LOOPGATE_API_KEY?.trim();
  const missing = [url ? null : 'LOOPGATE_URL', apiKey ? null : 'LOOPGATE_API_KEY'].filter(Boolean);
  if (!url || !apiKey) {
    process.stderr.write(`loopgate-mcp: set ${missing.join(' and ')} (e.g. http://localhost:3000 and an lg_… key)\n`);
    process.exitCode = 2;
    return;
  }
  if (!/^https?:\/\//.test(url)) {
    process.stderr.write('loopgate-mcp: LOOPGATE_URL must start with http:// or https://\n');
    process.exitCode = 2;
    return;
  }
  const server = createLoopgateMcpServer(restPort({ url, apiKey }));
  await server.connect(new StdioServerTransport());
}
