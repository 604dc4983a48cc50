/**
 * @loopgate/sdk — ask a person before an agent acts, and get the decision the moment it is made.
 *
 *   const loopgate = new Loopgate({ baseUrl, apiKey });
 *   const result = await loopgate.requestApproval({ title, payload }, { key: `${threadId}:${toolCallId}` });
 *   if (result.approved) run(result.approvedPayload);
 */
export type {
  AgentDriftWebhookPayload,
  AgentIdentity,
  CreateTaskInput,
  Decision,
  DecisionAction,
  DecisionInput,
  Form,
  FormResponse,
  Problem,
  RiskLevel,
  Task,
  TaskPage,
  TaskStatus,
  WebhookPayload,
} from '@loopgate/shared';
export { payloadDigest } from '@loopgate/shared/json';
export { verifyWebhook, WebhookVerificationError } from '@loopgate/shared/webhooks';
export {
  type ApprovalResult,
  approvalResult,
  type CallOptions,
  idempotencyKeyFor,
  Loopgate,
  type LoopgateOptions,
  type RequestApprovalOptions,
  type WaitOptions,
} from './client.js';
export { isHalted, LoopgateError, LoopgateHaltedError, LoopgateTimeoutError } from './errors.js';
