import type { QueueConfigInput } from '@loopgate/shared';
import request from 'supertest';
import { bearer, type PageWorld, type PageWorldSetup } from './page-world.js';

/** The text of the element with this id, tags stripped: what a reader of that part of the page sees. */
export function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no #${id} in the page`);
  const end = html.indexOf('</section>', start);
  return html
    .slice(start, end)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

/** As Eta's auto-escaping writes text into the page. */
export function escaped(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function unescaped(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The problem list a refused form shows above the form, as HTML. */
export function problemsOf(html: string): string {
  const start = html.indexOf('id="form-problems"');
  if (start < 0) throw new Error(`no problem list in:\n${html.slice(0, 1500)}`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The refunds example of docs/approvals.md. */
export const REFUNDS: QueueConfigInput = {
  description: 'Refunds proposed by the support agent',
  reviewerGroups: ['operations'],
  policy: {
    rules: [
      { type: 'flag', name: 'regulatory' },
      { type: 'confidence_below', threshold: 0.8, levels: 1 },
      { type: 'risk', levels: { medium: 1, high: 2, critical: 2 } },
      { type: 'sample', rate: 0.05, levels: 1 },
    ],
    otherwise: 'auto_approve',
  },
  levels: [
    { name: 'operations', group: 'operations', quorum: 1 },
    { name: 'compliance', group: 'managers', quorum: 2, mode: 'majority' },
  ],
  creatorMayApprove: false,
  sla: { seconds: 14400, byRisk: { critical: 3600 } },
  escalation: [
    { action: 'reminder', afterSeconds: -1800 },
    { action: 'reassign', afterSeconds: 0, group: 'managers' },
    { action: 'raise_priority', afterSeconds: 3600 },
  ],
  timeoutAction: 'reject',
  timeoutAfterSeconds: 7200,
};

/** The queue settings pages' workspace: groups operations and managers, and the refunds queue. */
export const QUEUE_DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['ana@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
  ],
  groups: [
    ['operations', ['ana@example.com']],
    ['managers', ['admin@example.com']],
  ],
  queues: [['refunds', REFUNDS]],
};

/** Queues as the API returns them, to check what a page stored (or did not). */
export function queueApi(world: PageWorld) {
  return {
    async apiQueue(name: string) {
      const res = await request(world.app).get(`/api/v1/queues/${name}`).set(bearer(world.keys.viewer));
      return { status: res.status, body: res.body };
    },

    async apiQueueNames(): Promise<string[]> {
      const res = await request(world.app).get('/api/v1/queues').set(bearer(world.keys.viewer));
      return res.body.data.map((queue: { name: string }) => queue.name);
    },
  };
}
