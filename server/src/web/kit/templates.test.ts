import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { queueConfigSchema } from '@loopgate/shared';
import type { ReviewMailView } from '../../domain/reviewers/review-mail.js';
import type { TaskRecord } from '../../domain/tasks/task-record.js';
import { inertnessProblems } from '../xss-corpus.js';
import { BUILDER_CHOICES, builderState } from './queue-builder.js';
import { render, TEMPLATE_HELPERS, type Template, WEB_ROOT } from './render.js';
import { TEMPLATES } from './templates.js';
import { boardColumnsView, fieldViews, type SignedIn, taskSummaryView } from './view-models.js';

/*
 * The compiler checks that a page hands a template every field of its view model. This checks the
 * other direction, which the compiler cannot see into: a template reads no `it.x` that its view
 * model lacks (a typo, or a field a page stopped sending, would otherwise render as blank).
 */

type ViewOf<T> = T extends Template<infer View> ? View : never;
type Samples = { [Name in keyof typeof TEMPLATES]: Required<ViewOf<(typeof TEMPLATES)[Name]>>[] };

const TEMPLATE_DIR = path.join(WEB_ROOT, 'templates');
const source = (name: string) => readFileSync(path.join(TEMPLATE_DIR, `${name}.eta`), 'utf8');
const includesOf = (name: string) => [...source(name).matchAll(/include\('\.\/([\w-]+)', it\)/g)].map((m) => m[1]!);

/** The `it.x` a template reads, its partials' included: they get the including template's `it`. */
function fieldsRead(name: string): Set<string> {
  const fields = new Set([...source(name).matchAll(/\bit\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!));
  for (const partial of includesOf(name)) for (const field of fieldsRead(partial)) fields.add(field);
  return fields;
}

const NOW = Date.UTC(2030, 0, 1);
const actor = { type: 'user' as const, id: 'usr_1', name: 'Rita' };
const task: TaskRecord = {
  id: 'tsk_1',
  workspaceId: 'ws_1',
  queue: 'support',
  title: 'Refund order 42',
  description: 'Why',
  payload: { amount: 40 },
  context: { customer: 'c1' },
  confidence: 0.5,
  riskLevel: 'high',
  tags: [],
  source: 'n8n',
  agent: { id: 'refund-bot', name: 'Refund bot', version: '3', model: 'gpt-4.1' },
  externalRef: null,
  callbackUrl: null,
  status: 'approved_with_modifications',
  dueAt: NOW,
  createdAt: NOW,
  updatedAt: NOW,
  closedAt: NOW,
  version: 2,
  createdBy: actor,
  form: null,
  responseForm: null,
  decision: {
    action: 'approve_with_modifications',
    comment: 'capped',
    modifiedPayload: { amount: 30 },
    diff: null,
    reasonCode: null,
    response: null,
    decidedBy: actor,
    decidedAt: NOW,
  },
  classification: {
    findings: [{ detector: 'custom', name: '<b>Employee id</b>', paths: ['/payload/<i>x</i>'] }],
    raisedTo: 'high',
    raisedFrom: null,
    truncated: true,
  },
};
const chrome: SignedIn = { user: { email: 'rita@example.com', name: 'Rita', role: 'admin' }, csrf: 'c'.repeat(43) };
const principal = { workspaceId: 'ws_1', role: 'admin' as const, actor };
const card = {
  id: 'tsk_1',
  title: 'Refund',
  queue: 'support',
  source: 'n8n',
  status: 'pending_review' as const,
  riskLevel: null,
  confidence: null,
  assigneeName: null,
  assigneeId: null,
  claimed: false,
  escalated: false,
  priority: 0,
  level: 1,
  levels: 1,
  dueAt: NOW,
  createdAt: NOW,
  closedAt: null,
  decisionAction: null,
  agent: { id: 'refund-bot', name: '<b>Refund bot</b>' },
  createdBy: actor,
  assignee: null,
  assignedGroup: null,
  sensitive: ['IBAN', '<b>Employee id</b>'],
  fields: [{ label: 'customer.name', value: '<i>Ana</i>' }],
  actions: { claim: 'Level 1 (review) is decided by the "ops" group', release: null, escalate: null, decide: null },
};
const columns = boardColumnsView({
  columns: [{ id: 'pending', stage: 'pending', title: 'Pending Review', cards: [card], total: 1 }],
  principal,
  csrf: chrome.csrf,
  now: NOW,
});
const member = {
  userId: 'usr_1',
  email: 'rita@example.com',
  name: 'Rita',
  role: 'admin' as const,
  createdAt: NOW,
  deactivatedAt: null,
};
const options = {
  blocked: {
    approve: null,
    reject: null,
    approve_with_modifications: 'Level 1 (review) is decided by the "ops" group',
  },
  level: {
    number: 1,
    of: 2,
    name: 'review',
    group: 'ops',
    quorum: 1,
    mode: 'unanimous' as const,
    approvals: 0,
    rejections: 0,
  },
  assignee: actor,
  claimed: true,
  ownVote: null,
};
const boardCommon = {
  form: {
    queue: 'q',
    risk: 'high',
    status: 'in_review',
    source: 'n8n',
    tag: 't',
    assignee: 'mine',
    breached: '1',
    q: 's',
  },
  options: { queues: ['default', 'q'], sources: ['n8n'], members: [member], tags: ['fraud', '<b>x</b>'] },
  filtered: true,
  exportHref: (format: 'csv' | 'jsonl') => `/board/export?format=${format}`,
  views: [{ id: 'vew_1', name: 'Mine', href: '/board?assignee=mine', current: true }],
  viewQuery: 'assignee=mine',
  notice: 'Saved',
  error: 'No',
  viewName: 'Mine',
};

const sortHeader = (key: string) => ({ key, label: key, href: `/board?sort=${key}`, sort: null });
const listHeaders = Object.fromEntries(
  ['title', 'status', 'queue', 'risk', 'priority', 'created', 'due'].map((key) => [key, sortHeader(key)]),
);
const panel = {
  ...taskSummaryView(task, options, NOW),
  allowed: ['approve' as const, 'reject' as const, 'approve_with_modifications' as const],
  blocked: options.blocked,
  blockedNote: 'Closed',
  formAction: '/tasks/tsk_1/decide',
  backHref: '/tasks/tsk_1',
  fields: null,
  csrf: chrome.csrf,
  error: 'Try again',
  edited: '{}',
  comment: 'typed',
  preview: {
    kind: 'modify' as const,
    changes: [{ path: 'amount', op: 'changed' as const, before: '40', after: '30' }],
    diff: [{ op: 'add' as const, text: '"amount": 30' }],
    edited: '{}',
    comment: '',
    response: { note: 'typed' },
  },
  responseFields: null,
  rejectReasons: [{ code: 'no-receipt', label: 'No receipt' }],
  grantOption: {
    disabledReason: 'Queue "support" does not allow standing approvals',
    agentId: 'refund-bot',
    maxHours: 24,
    hours: 8,
  },
};
const grantRow = {
  id: 'grt_1',
  scope: 'same agent + same title',
  queue: 'support',
  agentId: 'refund-bot',
  match: 'Refund order 42',
  by: 'Rita',
  fromTaskId: 'tsk_1',
  createdAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T08:00:00.000Z',
  uses: 2,
  state: 'active',
  active: true,
  revokeAction: '/settings/grants/grt_1/revoke',
};
const formTask = {
  ...task,
  form: {
    type: 'object' as const,
    properties: {
      amount: { type: 'number' as const, title: 'Amount', minimum: 0, maximum: 500 },
      tier: { type: 'string' as const, enum: ['a', 'b'], enumNames: ['A', 'B'] },
      notify: { type: 'boolean' as const },
      order: { type: 'string' as const, readOnly: true },
    },
    required: ['amount'],
  },
};
const formPanel = {
  ...panel,
  preview: undefined as never,
  fields: fieldViews(formTask, { fields: { amount: 'x' }, fieldErrors: { amount: 'Not a number' } }),
};
const rejectPanel = {
  ...panel,
  preview: { kind: 'reject' as const, edited: '{}', comment: 'no', reasonCode: 'no-receipt' },
};
const queue = {
  name: 'support',
  config: {} as never,
  version: 3,
  createdAt: NOW,
  updatedAt: NOW,
  builtIn: false,
  warnings: [{ code: 'rule_never_reached' as const, path: 'policy.rules[1]', message: 'Never reached' }],
};
const summary = {
  description: 'Refunds',
  reviewerGroups: ['ops'],
  rules: ['a rule'],
  otherwise: 'Otherwise → review',
  levels: [{ name: 'review', group: 'ops', quorum: 1, mode: 'unanimous' }],
  creatorMayApprove: true,
  sla: 'Due 1 h after creation',
  slaByRisk: [],
  escalation: [],
  timeout: 'At the deadline: reject',
  grants: 'Reviewers may approve the same for up to 24 h',
};

const MAIL_PAYLOADS: ReviewMailView['payload'][] = [
  { mode: 'full', text: '{"amount": 40}' },
  { mode: 'summary', keys: ['amount'] },
  { mode: 'none' },
];
const apiKeyRow = {
  id: 'key_1',
  name: 'n8n',
  role: 'reviewer' as const,
  prefix: 'lg_abc',
  createdAt: NOW,
  lastUsedAt: null,
  createdBy: 'Rita',
};

const SAMPLES: Samples = {
  analytics: [
    {
      ...chrome,
      filter: { from: '2026-03-01', to: '2026-03-07', queue: 'q', agent: 'a', interval: 'week' },
      errors: ['from: not a day'],
      freshness: 'Numbers as of 2 min ago',
      headlines: [{ label: 'Auto-approved', value: '50 %', trend: '40 % before', hint: 'Share' }],
      reviewers: [
        {
          name: 'Rita',
          decisions: 2,
          approve: '50 %',
          modify: '0 %',
          reject: '50 %',
          medianOffered: '1 min',
          p90Offered: '2 min',
          medianClaimed: '–',
          p90Claimed: '–',
          fast: '0 %',
          late: 1,
        },
      ],
      queues: [{ queue: 'support', withSla: 2, within: '50 %', breaches: 1, escalated: 0, median: '1 min' }],
      slaSeries: [{ period: '2026-03-02', withSla: 2, within: '50 %', breaches: 1 }],
      stageColumns: ['Pending Review', 'In Progress', 'Needs Approval', 'Escalated'],
      stageTimes: [
        {
          queue: 'support',
          stages: [
            { median: '30 s', tasks: 2 },
            { median: '–', tasks: 0 },
            { median: '1 min', tasks: 1 },
            { median: '–', tasks: 0 },
          ],
        },
      ],
      backlogAges: ['< 1 h', '1–4 h', '4–24 h', '1–3 d', '> 3 d'],
      backlog: [{ queue: 'support', open: 3, byAge: [1, 0, 2, 0, 0] }],
      backlogNote: 'Open tasks at 2026-03-07 12:00 UTC, whatever the range.',
      agents: [
        {
          agent: 'bot',
          version: '1',
          tasks: 2,
          intervention: '50 %',
          modification: '0 %',
          rejection: '50 %',
          meanEdit: '–',
        },
      ],
      drift: [{ agent: 'bot', drifted: true, summary: 'Drift', details: ['intervention: …'] }],
      calibration: [{ bucket: '0.9–1.0', decided: 2, unchanged: 1, rejected: 1, rate: '50 %' }],
      suggestion: 'No threshold yet',
      roiSeries: [
        { period: '2026-03-02', tasks: 2, autoApproved: '50 %', minutes: '2 min', cost: 'not set', errors: 1 },
      ],
      costNote: 'No cost',
      charts: {
        reviewers: {
          type: 'bar' as const,
          label: 'L',
          tableId: 't',
          labels: ['a'],
          datasets: [{ label: 'd', data: [1, null] }],
          unit: 'percent' as const,
          stacked: true,
        },
        sla: {
          type: 'bar' as const,
          label: 'L',
          tableId: 't',
          labels: ['a'],
          datasets: [{ label: 'd', data: [1, null] }],
          unit: 'percent' as const,
          stacked: true,
        },
        agents: {
          type: 'bar' as const,
          label: 'L',
          tableId: 't',
          labels: ['a'],
          datasets: [{ label: 'd', data: [1, null] }],
          unit: 'percent' as const,
          stacked: true,
        },
        calibration: {
          type: 'bar' as const,
          label: 'L',
          tableId: 't',
          labels: ['a'],
          datasets: [{ label: 'd', data: [1, null] }],
          unit: 'percent' as const,
          stacked: true,
        },
        roi: {
          type: 'bar' as const,
          label: 'L',
          tableId: 't',
          labels: ['a'],
          datasets: [{ label: 'd', data: [1, null] }],
          unit: 'percent' as const,
          stacked: true,
        },
      },
    },
  ],
  login: [{ csrf: chrome.csrf, next: '/board', email: 'rita@example.com', workspace: '', error: 'No' }],
  message: [{ heading: 'Hi', text: 'Text', kind: 'error', ...chrome, link: { href: '/board', label: 'Back' } }],
  invite: [
    {
      csrf: chrome.csrf,
      invitation: {
        email: 'new@example.com',
        name: 'Nu',
        role: 'reviewer',
        workspace: { slug: 'default', name: 'Default' },
        expiresAt: NOW,
        hasPassword: false,
      },
      formAction: '/invite/x',
      minPasswordLength: 12,
      error: 'No',
    },
  ],
  board: [
    { ...chrome, ...boardCommon, view: 'board', ...columns },
    {
      ...chrome,
      ...boardCommon,
      view: 'list',
      sort: 'urgency',
      dir: null,
      headers: listHeaders,
      bulk: { allowed: false, reason: 'Viewers only read', backHref: '/board?view=list' },
      now: NOW,
      tasks: [task],
      nextCursor: 'next',
      nextHref: '/board?x',
    },
  ],
  boardColumns: [columns],
  bulkResult: [
    {
      ...chrome,
      heading: 'Claim selected tasks',
      summary: '1 claimed, 1 skipped: claimed by Ana',
      outcomes: [
        { id: 'tsk_a', title: 'A', done: true, reason: null },
        { id: 'tsk_b', title: null, done: false, reason: 'claimed by Ana' },
      ],
      backHref: '/board?view=list',
    },
  ],
  task: [
    {
      ...panel,
      ...chrome,
      events: [],
      deliveries: [],
      canRedeliver: true,
      revoke: { blockedReason: 'Closed', reason: 'typed', error: 'Say why' },
      decisionDiff: [{ kind: 'hunk', text: '@@' }],
      decisionChanges: [{ path: 'amount', op: 'changed', before: '40', after: '30' }],
      done: { text: 'Approved with 1 change', kind: 'ok' },
      nextHref: '/tasks/next',
      grants: [
        grantRow,
        { ...grantRow, id: 'grt_2', active: false, state: 'revoked by Rita: done', revokeAction: null },
      ],
      approvedByGrant: { grantId: 'grt_0', by: 'Rita', fromTaskId: 'tsk_0', until: '2030-01-01T08:00:00.000Z' },
    },
  ],
  review: [
    { ...panel, reviewer: 'rita@example.com', guest: false },
    { ...rejectPanel, reviewer: 'rita@example.com', guest: false },
    { ...formPanel, reviewer: 'rita@example.com', guest: false },
    { ...rejectPanel, reviewer: 'gus@partner.example', guest: true },
  ],
  adminUsers: [
    {
      ...chrome,
      members: [{ ...member, lastAdminReason: 'Last', renameReason: 'Shared', isYou: true }],
      maxName: 200,
      invitations: [],
      notice: 'Done',
      error: 'No',
      invite: { email: 'x@example.com', name: 'X', role: 'viewer' },
    },
  ],
  adminApiKeys: [
    {
      ...chrome,
      keys: [apiKeyRow],
      maxName: 200,
      notice: 'Done',
      error: 'No',
      form: { name: 'n8n', role: 'reviewer' },
      created: { ...apiKeyRow, key: 'lg_abc_secret' },
    },
  ],
  adminApiKeyRevoke: [{ ...chrome, key: apiKeyRow }],
  settingsGroups: [
    {
      ...chrome,
      users: [{ id: 'usr_1', label: 'Rita <rita@example.com>', role: 'reviewer', deactivated: true }],
      groups: [{ name: 'ops', userIds: ['usr_1'], keys: ['n8n (key_1)'] }],
      notice: 'Saved',
      error: 'No',
      form: { name: 'ops', members: ['usr_1'] },
    },
  ],
  settingsReviewers: [
    {
      ...chrome,
      text: 'ann@partner.example\n@partner.example',
      count: 2,
      api: '/api/v1/settings/external-reviewers',
      notice: '',
      errors: [],
    },
    { ...chrome, text: '<b>bad', count: 0, api: '/x', notice: 'Saved', errors: ['Line 1 (<b>bad): not an address'] },
  ],
  settingsHalts: [
    {
      ...chrome,
      active: [
        {
          id: 'hlt_1',
          what: 'queue support',
          reason: 'incident',
          by: 'Rita',
          since: '2030-01-01T00:00:00.000Z',
          resumedBy: null,
          resumedAt: null,
        },
      ],
      resumed: [
        {
          id: 'hlt_0',
          what: 'the whole workspace',
          reason: null,
          by: 'Rita',
          since: '2029-12-31T00:00:00.000Z',
          resumedBy: 'Rita',
          resumedAt: '2029-12-31T01:00:00.000Z',
        },
      ],
      queues: [{ name: 'support', halted: true }],
      workspaceHalted: false,
      notice: 'Stopped',
      error: 'No',
    },
  ],
  settingsBoard: [
    {
      ...chrome,
      version: 2,
      columns: [
        {
          id: 'pending',
          title: 'Pending',
          hidden: false,
          kind: 'stage',
          describe: 'Built-in stage: Pending',
          problems: {},
        },
        {
          id: 'fraud',
          title: '',
          hidden: true,
          kind: 'filter',
          describe: 'Open tasks with tag fraud',
          problems: { title: 'A title is required' },
        },
      ],
      maxColumns: 12,
      queues: ['default', 'support'],
      notice: 'Saved',
      failed: 'add',
      errors: ['At most 12 columns'],
      add: { title: 'Fraud', tag: 'fraud', queue: 'support', source: '', risk: 'high', minLevel: '2' },
      addProblems: { tag: 'No' },
    },
  ],
  queueSettings: [
    {
      ...chrome,
      canConfigure: true,
      notice: 'Saved',
      queues: [{ ...queue, summary, health: { open: 3, breached: 1, decided: 2, median: '12 min' } }],
      groups: [{ name: 'ops', members: [{ kind: 'user', label: 'Rita' }] }],
    },
  ],
  reviewMail: [0, 1, 2].map((n) => ({
    lead: 'Review',
    title: 'Refund order 42',
    queue: 'support',
    risk: 'high',
    confidence: '50 %',
    due: 'Tue 1 Jan 2030, 00:00 UTC',
    why: 'policy',
    links: {
      approve: 'https://lg.example/review/a',
      reject: 'https://lg.example/review/r',
      modify: 'https://lg.example/review/m',
    },
    payload: MAIL_PAYLOADS[n]!,
    linkNote: 'They stop working when the task is decided.',
  })),
  account: [
    {
      ...chrome,
      notice: 'Saved',
      failed: 'settings',
      fieldErrors: { timeZone: 'not a zone' },
      minPasswordLength: 12,
      maxMailsPerHour: 200,
      defaultMailsPerHour: 20,
      fallbackTimeZone: 'UTC',
      settings: { timeZone: 'Mars/Base', mailMode: 'daily', mailsPerHour: '5' },
    },
  ],
  settingsGrants: [{ ...chrome, grants: [grantRow], notice: 'Revoked', error: 'No' }],
  queueEdit: [
    {
      ...chrome,
      mode: 'edit',
      name: 'support',
      text: '{}',
      builtIn: false,
      action: '/settings/queues/support',
      error: 'No',
      problems: [],
      builder: builderState(queueConfigSchema.parse({ policy: { rules: [{ type: 'risk', levels: { high: 2 } }] } })),
      fieldErrors: { 'policy.rules[0].levels.high': 'Too big' },
      groups: ['ops'],
      choices: BUILDER_CHOICES,
      editor: 'builder',
      warnings: [{ code: 'rule_never_reached' as const, path: 'policy.rules[0]', message: 'Never reached' }],
      preview: { tasks: 2, review: 1, autoApproved: 1, autoApprovedButRejected: 1, summary: 'Of the last 2 tasks…' },
      backtest: {
        queue: 'support',
        range: { from: '2026-11-04T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z' },
        tasks: 3,
        replayed: 2,
        notReplayable: 1,
        truncated: true,
        toHumans: 1,
        autoApproved: 1,
        current: { toHumans: 2, autoApproved: 0 },
        byRule: [
          {
            rule: 'rules[0]:risk',
            path: 'policy.rules[0]',
            outcome: 'review' as const,
            count: 1,
            toHumans: 1,
            autoApproved: 0,
            humanRejected: 0,
            humanModified: 0,
            reason: 'Risk level high needs 2 approval levels',
          },
          {
            rule: 'otherwise',
            path: 'policy.otherwise',
            outcome: 'auto_approve' as const,
            count: 1,
            toHumans: 0,
            autoApproved: 1,
            humanRejected: 1,
            humanModified: 0,
            reason: null,
          },
        ],
        humanDecided: { total: 2, wouldAutoApprove: 1, ofWhichApproved: 0, ofWhichModified: 0, ofWhichRejected: 1 },
        detectors: [],
        warnings: [],
        summary: 'Of 2 tasks: 1 to people, 1 auto-approved.',
      },
    },
  ],
};

describe('templates and their view models', () => {
  test('every template is in TEMPLATES or is a partial one of them includes (or the layout)', () => {
    const rendered = new Set<string>(Object.values(TEMPLATES).map((entry) => entry.name));
    const included = new Set([...rendered].flatMap(includesOf));
    const files = readdirSync(TEMPLATE_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.eta'));
    for (const file of files) {
      const name = file.replace(/\.eta$/, '').replaceAll(path.sep, '/');
      expect([name, rendered.has(name) || included.has(name) || name === 'layout']).toEqual([name, true]);
    }
  });

  test.each(Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[])(
    '%s reads only fields its view model has, and renders its samples',
    (name) => {
      const entry = TEMPLATES[name] as Template<unknown>;
      const samples: object[] = SAMPLES[name];
      const known = new Set([...Object.keys(TEMPLATE_HELPERS), ...samples.flatMap((sample) => Object.keys(sample))]);
      const unknown = [...fieldsRead(entry.name)].filter((field) => !known.has(field));
      expect(unknown).toEqual([]);
      for (const sample of samples) expect(inertnessProblems(render(entry, sample), '')).toEqual([]);
    },
  );

  test('the board suggests the tags in use, escaped', () => {
    const html = render(TEMPLATES.board, SAMPLES.board[0] as never);
    expect(html).toContain('<input type="text" name="tag" maxlength="64" list="tag-options" value="t">');
    expect(html).toContain('<option value="fraud"></option><option value="&lt;b&gt;x&lt;/b&gt;"></option>');
  });
});
