#!/usr/bin/env node
// The stdio MCP server: an MCP client (Claude Desktop, an IDE, an agent framework) starts this process and
// speaks MCP on stdin/stdout; it talks to Loopgate over REST with LOOPGATE_URL and LOOPGATE_API_KEY.
require('../dist/stdio.js').main();
