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
      { type: 'risk', levels: { medium: 1, high: 2, critical: 2 } },
      { type: 'confidence_below', threshold: 0.8, levels: 1 },
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

/**
 * What a browser would submit from the form with this id, as [name, value] pairs in page order:
 * inputs (checkboxes only when checked), the selected option of each select (else its first),
 * textareas; no buttons. Enough for the server-rendered forms these pages write.
 */
export function formFields(html: string, formId: string): [string, string][] {
  const start = html.indexOf(`id="${formId}"`);
  if (start < 0) throw new Error(`no #${formId} in the page`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const fields: [number, string, string][] = [];
  for (const m of form.matchAll(/<input\b[^>]*>/g)) {
    const a = attrs(m[0]);
    if (!a.name || ((a.type === 'checkbox' || a.type === 'radio') && !/\schecked\b/.test(m[0]))) continue;
    fields.push([m.index, a.name, unescaped(a.value ?? '')]);
  }
  for (const m of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attrs(m[1] ?? '').name;
    const options = [...(m[2] ?? '').matchAll(/<option\b([^>]*)>/g)];
    const chosen = options.find((o) => /\sselected\b/.test(o[1] ?? '')) ?? options[0];
    if (name && chosen) fields.push([m.index, name, unescaped(attrs(chosen[1] ?? '').value ?? '')]);
  }
  for (const m of form.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    const name = attrs(m[1] ?? '').name;
    if (name) fields.push([m.index, name, unescaped(m[2] ?? '')]);
  }
  return fields.sort((a, b) => a[0] - b[0]).map(([, name, value]) => [name, value]);
}

/** Form fields as a urlencoded body, repeated names kept (superagent's own encoding would index them). */
export function formBody(fields: [string, string][], changes: Record<string, string> = {}): string {
  const body = new URLSearchParams();
  const changed = new Set<string>();
  for (const [name, value] of fields) {
    if (name in changes) {
      if (!changed.has(name)) body.append(name, changes[name] as string);
      changed.add(name);
    } else body.append(name, value);
  }
  for (const [name, value] of Object.entries(changes)) if (!changed.has(name)) body.append(name, value);
  return body.toString();
}
