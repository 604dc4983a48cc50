import type { DecisionAction } from '@loopgate/shared';
import { maskDocument } from '../approvals/classification.js';
import type { DeliveryDraft } from '../delivery/delivery-hook.js';
import type { Repositories } from '../store.js';
import type { TaskEventRecord, TaskRecord } from '../tasks/task-record.js';

// ——— Notification ———

/** Slack mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The description, else the payload with what the queue's detectors found masked (Slack is outside
 * the app); a scan that stopped at a cap may have missed a value, so then only the field names.
 */
function payloadPreview(task: TaskRecord): string {
  const { payload, classification } = task;
  if (classification?.truncated) {
    const keys = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? Object.keys(payload) : [];
    return `Payload fields: ${keys.join(', ') || '(none)'}`;
  }
  return JSON.stringify(maskDocument(payload, 'payload', classification));
}

function summaryOf(task: TaskRecord): string {
  const raw = task.description ?? payloadPreview(task);
  return raw.length > 500 ? `${raw.slice(0, 497)}…` : raw;
}

export function slackMessageFor(task: TaskRecord, integrationId: string, publicUrl: string) {
  const deadline =
    task.dueAt === null
      ? 'none'
      : `<!date^${Math.floor(task.dueAt / 1000)}^{date_short_pretty} {time}|${new Date(task.dueAt).toISOString()}>`;
  const value = (action: DecisionAction) => `${integrationId}|${task.id}|${action}`;
  const link = `${publicUrl}/tasks/${task.id}`;
  return {
    text: `Review needed: ${task.title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: task.title.slice(0, 150) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Risk:* ${task.riskLevel ?? 'not set'}` },
          {
            type: 'mrkdwn',
            text: `*Confidence:* ${task.confidence === null ? 'not set' : `${Math.round(task.confidence * 100)}%`}`,
          },
          { type: 'mrkdwn', text: `*Queue:* ${escapeMrkdwn(task.queue)}` },
          { type: 'mrkdwn', text: `*Deadline:* ${deadline}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(summaryOf(task)) } },
      {
        type: 'actions',
        block_id: `loopgate:${task.id}`,
        elements: [
          {
            type: 'button',
            action_id: 'loopgate_approve',
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value: value('approve'),
          },
          {
            type: 'button',
            action_id: 'loopgate_reject',
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject' },
            value: value('reject'),
          },
          { type: 'button', action_id: 'loopgate_open', text: { type: 'plain_text', text: 'Open' }, url: link },
        ],
      },
    ],
  };
}

/** Extra outbox rows for a change: a Slack message per matching integration when a task opens for review. */
export function slackDrafts(publicUrl: string) {
  return async (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }): Promise<DeliveryDraft[]> => {
    const { task, event } = change;
    if (event.type !== 'created' || (task.status !== 'pending_review' && task.status !== 'in_review')) return [];
    const integrations = await tx.slack.listIntegrations(task.workspaceId);
    return integrations
      .filter((i) => i.queue === null || i.queue === task.queue)
      .map((i) => ({
        kind: 'slack' as const,
        url: i.webhookUrl,
        // Set up by an admin, not by a member: only admins see it whole.
        urlOwner: null,
        eventType: 'slack.review_requested',
        body: JSON.stringify(slackMessageFor(task, i.id, publicUrl)),
        subscriptionId: null,
      }));
  };
}
