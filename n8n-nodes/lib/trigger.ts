import type { IDataObject } from 'n8n-workflow';

/** What the trigger keeps in the workflow's static data between activation and deactivation. */
export interface TriggerStaticData extends IDataObject {
  subscriptionId?: string;
  /** The subscription's whsec_ secret: Loopgate returns it only when the subscription is created. */
  secret?: string;
}

/**
 * A verified delivery → the trigger's item: the envelope's data flattened, with `event` (the webhook
 * event name) and, for a task's final events, `decision` (the task status) so a Switch can route on it. Null for
 * an event the node was not set up for (a subscription edited on the server, say).
 */
export function triggerItem(body: unknown, events: readonly string[]): IDataObject | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const envelope = body as { type?: unknown; timestamp?: unknown; data?: unknown };
  if (typeof envelope.type !== 'string' || !events.includes(envelope.type)) return null;
  const data = (envelope.data !== null && typeof envelope.data === 'object' ? envelope.data : {}) as IDataObject;
  // Agent events (agent.drift_detected) are about no task: their data is the drift test, as it is.
  if (envelope.type.startsWith('agent.'))
    return { ...data, event: envelope.type, timestamp: envelope.timestamp ?? null };
  // `event` names the webhook event; the task-history entry the envelope carries as `data.event`
  // moves to `taskEvent` so it does not shadow it.
  const { event: taskEvent, ...rest } = data;
  const item: IDataObject = {
    ...rest,
    event: envelope.type,
    timestamp: envelope.timestamp ?? null,
    taskEvent: taskEvent ?? null,
  };
  if (envelope.type !== 'task.created' && envelope.type !== 'task.escalated') item.decision = data.status ?? null;
  return item;
}
