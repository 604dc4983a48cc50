export { LoopgateCallError, type LoopgatePort } from './port.js';
export { restPort } from './rest-port.js';
export { agentOfClient, createLoopgateMcpServer, DEFAULT_WAIT_SECONDS, outcomeOf, SERVER_INFO } from './tools.js';
