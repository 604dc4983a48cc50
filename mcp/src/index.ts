export { LoopgateCallError, type LoopgatePort } from './port.js';
export { restPort } from './rest-port.js';
export {
  agentOfClient,
  createLoopgateMcpServer,
  DEFAULT_WAIT_SECONDS,
  outcomeOf,
  PROGRESS_INTERVAL_MS,
  SERVER_INFO,
} from './tools.js';
