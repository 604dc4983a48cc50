import type { Queue } from '@loopgate/shared';
import type { Bundle, Trigger, ZObject } from 'zapier-platform-core';
import { callApi } from '../api.js';

/** Feeds the Queue dropdown (hidden trigger): every queue of the workspace, the built-in default too. */
async function perform(z: ZObject, bundle: Bundle): Promise<{ id: string; name: string }[]> {
  const page = await callApi<{ data: Queue[] }>(z, bundle, 'GET', '/api/v1/queues');
  return page.data.map((queue) => ({
    id: queue.name,
    name: queue.config.description ? `${queue.name} — ${queue.config.description}` : queue.name,
  }));
}

export const queueList: Trigger = {
  key: 'queue_list',
  noun: 'Queue',
  display: { label: 'List Queues', description: 'Lists the review queues for dropdowns.', hidden: true },
  operation: {
    type: 'polling',
    perform,
    sample: { id: 'default', name: 'default' },
  },
};
