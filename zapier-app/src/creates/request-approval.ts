import type { PolicyDryRunResult, Task, WebhookPayload } from '@loopgate/shared';
import { canonicalJson } from '@loopgate/shared/json';
import { FINAL_WEBHOOK_EVENTS, isFinalStatus, WEBHOOK_EVENT_FOR_FINAL_STATUS } from '@loopgate/shared/lifecycle';
import type { Bundle, Create, ZObject } from 'zapier-platform-core';
import { callApi } from '../api.js';
import { taskEventOutputFields } from '../output-fields.js';
import { SAMPLE_DECISION } from '../samples.js';
import { taskBodyFromInput, taskInputFields } from '../task-input.js';
import { historyEntryFor, outputFromTask, parseDelivery, readTaskBack, type TaskEventOutput } from '../task-output.js';

/** What perform hands Zapier while the Zap waits; performResume receives it back as outputData. */
interface PendingApproval {
  id: string;
  status: Task['status'];
  title: string;
  queue: string;
  haltOnRejection: boolean;
}

function wantsHalt(value: unknown): boolean {
  return value === true || value === 'true' || value === 'yes';
}

/**
 * Creates the task with Zapier's callback URL and lets the Zap wait; Loopgate POSTs the decision to
 * that URL (the outbox retries until Zapier has it). In the Zap editor's test the step must not wait,
 * so it validates the input and routing with the policy dry run instead and returns a sample decision.
 */
async function perform(z: ZObject, bundle: Bundle): Promise<PendingApproval | TaskEventOutput> {
  const body = taskBodyFromInput(z, bundle);
  if (bundle.meta?.isLoadingSample) {
    const dryRun = await callApi<PolicyDryRunResult>(z, bundle, 'POST', '/api/v1/policy/dry-run', { body });
    return {
      ...SAMPLE_DECISION,
      title: body.title,
      queue: dryRun.queue,
      payload: body.payload,
      originalPayload: body.payload,
      externalRef: body.externalRef ?? null,
      reason: `sample: the policy would ${dryRun.outcome === 'auto_approve' ? 'auto-approve' : 'send to review'} (${dryRun.reason})`,
    };
  }
  const callbackUrl = z.generateCallbackUrl();
  const task = await callApi<Task>(z, bundle, 'POST', '/api/v1/tasks', {
    body: { ...body, callbackUrl },
    // One callback URL per step run: a retried request returns the first task instead of a second one.
    headers: { 'Idempotency-Key': `zapier:${z.hash('sha256', callbackUrl)}` },
  });
  return {
    id: task.id,
    status: task.status,
    title: task.title,
    queue: task.queue,
    haltOnRejection: wantsHalt(bundle.inputData.haltOnRejection),
  };
}

/** The body's edit as canonical JSON; null when it is not JSON at all (then it matches no stored edit). */
function canonicalClaim(value: unknown): string | null {
  try {
    return canonicalJson(value);
  } catch {
    return null;
  }
}

/**
 * Holding the callback URL must not be enough to end the wait with a decision (the admin and the
 * task's creator see it; it also travels through logs and proxies), so the body is only believed
 * once the server agrees: same final status, same edited payload. Zapier cannot go back to waiting,
 * so a body the server contradicts fails the step instead of passing it on.
 */
async function confirmWithServer(z: ZObject, bundle: Bundle, envelope: WebhookPayload, taskId: string) {
  const { data } = envelope;
  // The events a task's own callback receives (the server sends escalations only when asked to).
  if (!FINAL_WEBHOOK_EVENTS.includes(envelope.type)) {
    throw new z.errors.Error(`A ${envelope.type} delivery cannot end the wait`, 'invalid_delivery', 400);
  }
  const read = await readTaskBack(z, bundle, taskId);
  if (!read) throw new z.errors.Error(`Task ${taskId} is not known to Loopgate`, 'invalid_delivery', 400);
  const { task } = read;
  const serverEdit = canonicalJson(task.decision?.modifiedPayload ?? null);
  const event = isFinalStatus(task.status) ? WEBHOOK_EVENT_FOR_FINAL_STATUS[task.status] : undefined;
  if (!event || task.status !== data.status || serverEdit !== canonicalClaim(data.modifiedPayload)) {
    throw new z.errors.Error(
      `The callback says task ${taskId} is ${data.status}, but Loopgate has it ${task.status}${
        task.status === data.status ? ' with another payload' : ''
      }`,
      'invalid_delivery',
      400,
    );
  }
  return { task, event, history: read.history };
}

/**
 * Loopgate's callback resumes the step with the task as the server has it (its comment, reviewer and
 * payload, not the body's), once the body is confirmed to be about this step's task and its outcome.
 */
async function performResume(z: ZObject, bundle: Bundle): Promise<TaskEventOutput> {
  const envelope = parseDelivery(z, bundle.cleanedRequest);
  const pending = (bundle.outputData ?? {}) as Partial<PendingApproval>;
  if (pending.id !== undefined && envelope.data.taskId !== pending.id) {
    throw new z.errors.Error(
      `The callback is for task ${envelope.data.taskId}, but this step waits for ${pending.id}`,
      'invalid_delivery',
      400,
    );
  }
  const { task, event, history } = await confirmWithServer(z, bundle, envelope, pending.id ?? envelope.data.taskId);
  const output = outputFromTask(task, event, historyEntryFor(history, event));
  const halt = pending.haltOnRejection ?? wantsHalt(bundle.inputData?.haltOnRejection);
  if (halt && !output.approved) {
    const comment = output.comment ? `: ${output.comment}` : '';
    throw new z.errors.HaltedError(`Loopgate task ${output.taskId} was ${output.decision}${comment}`);
  }
  return output;
}

export const requestApproval: Create = {
  key: 'request_approval',
  noun: 'Approval',
  display: {
    label: 'Request Approval (and Wait)',
    description:
      'Sends an item to human review in Loopgate and pauses the Zap until a reviewer approves, edits or rejects it (or it expires).',
  },
  operation: {
    inputFields: [
      ...taskInputFields,
      {
        key: 'haltOnRejection',
        label: 'Stop the Zap Unless Approved',
        type: 'boolean',
        required: false,
        default: 'false',
        helpText:
          'Yes: a rejected, expired or cancelled task stops the Zap here (shown as halted, not as an error). No: the step always continues; route on **Decision** or **Approved?** with a Filter or Paths step.',
      },
    ],
    perform,
    performResume,
    sample: { ...SAMPLE_DECISION },
    outputFields: taskEventOutputFields,
  },
};
