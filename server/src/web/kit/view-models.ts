import {
  type DecisionAction,
  type Delivery,
  detectorLabel,
  type FieldError,
  type Form,
  type FormField,
  formFields,
  isFinalStatus,
  type PolicyBacktestResult,
  type QueuePreview,
  type RejectReason,
  type RiskLevel,
  type Role,
  type TaskSort,
} from '@loopgate/shared';
import type { DecisionOptions } from '../../domain/approvals/decision-options.js';

import {
  type DiffLine,
  type FieldChange,
  fieldChanges,
  payloadText,
  unifiedDiffLines,
  unifiedPayloadDiff,
} from '../../domain/approvals/payload-diff.js';
import type { ConfigWarning } from '../../domain/approvals/policy-warnings.js';
import type { QueueView } from '../../domain/approvals/queues.js';
import { TASK_ACTIONS, type TaskAction } from '../../domain/approvals/task-actions.js';
import type { Principal } from '../../domain/kernel/access.js';
import {
  BOARD_COLUMN_LIMIT,
  BOARD_COLUMN_MAX,
  type BoardColumn,
  type BoardStage,
  moveAction,
  movesFrom,
  stageOf,
} from '../../domain/reviewers/board.js';
import type { DetailedCard } from '../../domain/reviewers/board-cards.js';
import type { OpenedInvitation, OpenInvitationView } from '../../domain/reviewers/invitations.js';
import type { ManagedMember } from '../../domain/reviewers/members.js';
import type { ReviewMailView } from '../../domain/reviewers/review-mail.js';
import type { MemberRecord } from '../../domain/reviewers/reviewer-ports.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import type { JsonValue, TaskEventRecord, TaskRecord } from '../../domain/tasks/task-record.js';

import { type KeyValueRow, keyValueRows } from './key-value.js';
import { linkifyText, renderMarkdown, type SafeHtml } from './markdown.js';
import type { BUILDER_CHOICES, BuilderState } from './queue-builder.js';

import type { QueueSummary } from './queue-summary.js';
import { formatDue, formatTime } from './render.js';

/*
 * One view model per template (server/web/templates): exactly what the template reads from `it`,
 * besides the helpers every template gets (render.ts). Partials are included with the including
 * template's `it`, so a page's view model contains its partials' (TaskView ⊇ TaskSummaryView).
 * templates.test.ts checks the other direction: a template reads no field its view model lacks.
 */

/** The signed-in user as the page header shows them. */
export interface UserView {
  email: string;
  name: string | null;
  role: Role;
}

/** What the layout needs on every page behind login: who is signed in and the session's CSRF token. */
export interface SignedIn {
  user: UserView;
  csrf: string;
}

export function signedIn(web: SessionPrincipal): SignedIn {
  return {
    user: { email: web.user.email, name: web.user.name, role: web.principal.role },
    csrf: web.session.csrfToken,
  };
}

export interface LoginView {
  csrf: string;
  next: string;
  email: string;
  workspace: string;
  error?: string;
}

/** A page with one message: errors, and the thank-you after an e-mail link's decision. */
export interface MessageView {
  heading: string;
  text: string;
  kind: 'ok' | 'error' | 'info';
  user?: UserView | null;
  csrf?: string;
  link?: { href: string; label: string } | null;
}

export interface InviteView {
  csrf: string;
  invitation: OpenedInvitation;
  formAction: string;
  minPasswordLength: number;
  error?: string;
}

/** How much time a task has left, in words (render.ts formatDue, as the board says it), or "no deadline". */
export function slaText(dueAt: number | null, now: number): { text: string; overdue: boolean } {
  if (dueAt === null) return { text: 'no deadline', overdue: false };
  return { text: formatDue(dueAt, now), overdue: dueAt <= now };
}

/** task-summary.eta + task-payload.eta: the decision panel's summary (facts, level, votes, claim) and the payload. */
export interface TaskSummaryView {
  task: TaskRecord;
  payloadText: string;
  payloadRows: KeyValueRow[];
  /** The description rendered as Markdown (kit/markdown.ts: no raw HTML, http(s)/mailto links only). */
  descriptionHtml: SafeHtml | null;
  /** The context as pretty-printed JSON, escaped, its http(s)/mailto URLs made links. */
  contextHtml: SafeHtml;
  payloadKind: 'text' | 'json';
  sla: { text: string; overdue: boolean };
  /** Level, votes so far, assignee and claim, and what this viewer may do (null: not computed, e.g. closed). */
  options: DecisionOptions | null;
  /** Set when payload retention erased payload and context: the page says so instead of showing them. */
  payloadErased: { erasedAt: string; shownDigest: string } | null;
  /** What the queue's detectors found: a chip per detector with its paths (never values); raisedFrom set when they raised the risk. */
  sensitive: SensitiveView;
}

export interface SensitiveView {
  findings: { label: string; paths: string[] }[];
  /** The agent's own risk level when the detectors raised it (null: it gave none); undefined: not raised. */
  raisedFrom?: RiskLevel | null;
  truncated: boolean;
}

export function sensitiveView(task: Pick<TaskRecord, 'classification'>): SensitiveView {
  const classification = task.classification;
  if (!classification) return { findings: [], truncated: false };
  return {
    findings: classification.findings.map((finding) => ({ label: detectorLabel(finding), paths: finding.paths })),
    ...(classification.raisedTo ? { raisedFrom: classification.raisedFrom } : {}),
    truncated: classification.truncated,
  };
}

export function taskSummaryView(task: TaskRecord, options: DecisionOptions | null, now: number): TaskSummaryView {
  return {
    task,
    payloadText: payloadText(task.payload),
    payloadRows: keyValueRows(task.payload),
    descriptionHtml: task.description ? renderMarkdown(task.description) : null,
    contextHtml: linkifyText(task.context === null ? '' : payloadText(task.context as JsonValue)),
    payloadKind: typeof task.payload === 'string' ? 'text' : 'json',
    sla: isFinalStatus(task.status) ? { text: 'closed', overdue: false } : slaText(task.dueAt, now),
    options,
    payloadErased: task.payloadErasure
      ? { erasedAt: formatTime(task.payloadErasure.erasedAt), shownDigest: task.payloadErasure.shownDigest }
      : null,
    sensitive: sensitiveView(task),
  };
}

/** The confirm step: an edit's changes and full diff, or a rejection's reason, before anything is decided. */
export type DecisionPreview =
  | {
      kind: 'modify';
      changes: FieldChange[];
      diff: DiffLine[];
      edited: string;
      comment: string;
      /** responseForm answers typed before the confirm step, carried to it (null: the task asks none). */
      response: Record<string, string | boolean> | null;
    }
  | { kind: 'reject'; edited?: string; comment: string; reasonCode: string };

/** approval-panel.eta: the one decision form (task page with a session, review page with a link token). */
export interface ApprovalPanelView extends TaskSummaryView {
  /** The buttons this page offers (an e-mail link may offer one). */
  allowed: DecisionAction[];
  /** For each offered button: why it is disabled for this viewer, or null. */
  blocked: Record<DecisionAction, string | null>;
  /** Every offered button is blocked for the same reason: said once instead of under each. */
  blockedNote: string | null;
  formAction: string;
  backHref: string;
  /** Absent on e-mail link pages: the link's token is the credential. */
  csrf?: string;
  error?: string;
  /** What the reviewer typed, shown again when it was refused. */
  edited?: string;
  comment?: string;
  preview?: DecisionPreview;
  /** The task's `form` as labelled inputs (null: the task has none, the JSON editor is the way to edit). */
  fields: FieldView[] | null;
  /** The task's `responseForm`: what an approval must answer (null: it asks nothing). */
  responseFields: FieldView[] | null;
  /** The queue's reasons a reject chooses from (none: a written reason only). */
  rejectReasons: RejectReason[];
  /** "Also approve the same for the next N hours": absent on e-mail link pages, which give no grants. */
  grantOption?: GrantOptionView | null;
}

/** The approve form's standing-approval option, or why it is off for this task. */
export interface GrantOptionView {
  /** Why no standing approval can be given here (the queue forbids them, no agent, more votes needed); null: it can. */
  disabledReason: string | null;
  /** The agent the grant would be scoped to. */
  agentId: string | null;
  maxHours: number;
  hours: number;
}

/** One standing approval as the task page and /settings/grants list it. */
export interface GrantRow {
  id: string;
  /** "same agent + identical payload" or "same agent + same title". */
  scope: string;
  queue: string;
  agentId: string;
  /** The title it matches (scope title), or the payload digest's first characters (scope payload). */
  match: string;
  by: string;
  fromTaskId: string;
  createdAt: string;
  expiresAt: string;
  uses: number;
  /** "active", "expired" or "revoked by … : reason". */
  state: string;
  active: boolean;
  /** Where this viewer's Revoke form posts; null when they may not revoke it (or it has ended). */
  revokeAction: string | null;
}

/** A task a grant approved: which grant, who gave it and on which task. */
export interface ApprovedByGrant {
  grantId: string;
  by: string;
  fromTaskId: string;
  until: string;
}

/** /settings/grants: every standing approval, the active ones with Revoke. */
export type SettingsGrantsView = SignedIn & {
  /** The active ones first (soonest to expire first), then the latest ended ones. */
  grants: GrantRow[];
  notice?: string;
  error?: string;
};

/** One labelled input of a task's form, with what to show in it. */
export interface FieldView extends FormField {
  inputType: 'text' | 'email' | 'url' | 'date' | 'number' | 'checkbox' | 'select';
  /** The text in the input: what was typed when a post was refused, else the payload's value. */
  text: string;
  checked: boolean;
  step: string | null;
  error: string | null;
}

const STRING_INPUTS = { email: 'email', uri: 'url', date: 'date', 'date-time': 'text' } as const;

/** The task's form fields as the panel renders them; `typed` (a refused post) wins over the payload. */
export function fieldViews(
  task: TaskRecord,
  typed: { fields?: Record<string, string | boolean>; fieldErrors?: Record<string, string> } = {},
): FieldView[] | null {
  return task.form ? formFieldViews(task.form, task.payload, typed.fields, typed.fieldErrors) : null;
}

/** The task's responseForm as inputs: empty (or its defaults), or what was typed when a post was refused. */
export function responseFieldViews(
  task: TaskRecord,
  typed: { response?: Record<string, string | boolean>; responseErrors?: Record<string, string> } = {},
): FieldView[] | null {
  return task.responseForm ? formFieldViews(task.responseForm, {}, typed.response, typed.responseErrors) : null;
}

function formFieldViews(
  form: Form,
  source: unknown,
  typedFields: Record<string, string | boolean> | undefined,
  errors: Record<string, string> | undefined,
): FieldView[] {
  return formFields(form, source).map((field) => {
    const posted = typedFields && !field.readOnly ? typedFields[field.name] : undefined;
    const inputType =
      field.type === 'boolean'
        ? 'checkbox'
        : field.options
          ? 'select'
          : field.type === 'string'
            ? field.format
              ? STRING_INPUTS[field.format]
              : 'text'
            : 'number';
    const text = posted !== undefined ? String(posted) : field.value === undefined ? '' : String(field.value);
    const checked =
      field.type === 'boolean'
        ? typedFields && !field.readOnly
          ? typedFields[field.name] !== undefined && typedFields[field.name] !== ''
          : field.value === true
        : false;
    return {
      ...field,
      inputType,
      text,
      checked,
      step: field.type === 'integer' ? '1' : field.type === 'number' ? 'any' : null,
      error: errors?.[field.name] ?? null,
    };
  });
}

/** The panel's buttons and their reasons from the server's own rules (decisionOptions). */
export function panelAccess(
  allowed: DecisionAction[],
  options: DecisionOptions | null,
): Pick<ApprovalPanelView, 'allowed' | 'blocked' | 'blockedNote'> {
  const closed = 'This task is closed.';
  const blocked = options?.blocked ?? { approve: closed, reject: closed, approve_with_modifications: closed };
  const reasons = new Set(allowed.map((action) => blocked[action]));
  const [only] = [...reasons];
  return { allowed, blocked, blockedNote: reasons.size === 1 && only ? only : null };
}

export type DecisionDiffLine = ReturnType<typeof unifiedDiffLines>[number];

/** The confirmation shown after this viewer decided, with the Next task button. */
export interface DoneView {
  text: string;
  kind: 'ok' | 'info';
}

/** The task page's Revoke approval form: the reason typed so far, and why the button is off when it is. */
export interface RevokeView {
  blockedReason: string | null;
  reason: string;
  error: string | null;
}

export type TaskView = ApprovalPanelView &
  SignedIn & {
    events: TaskEventRecord[];
    /** Already cut down to what this user may see of each URL (listDeliveries). */
    deliveries: Delivery[];
    canRedeliver: boolean;
    /** For an admin on an approved task: revoke it, or why not now; null where revoking is not theirs to do. */
    revoke: RevokeView | null;
    decisionDiff: DecisionDiffLine[] | null;
    decisionChanges: FieldChange[] | null;
    done: DoneView | null;
    nextHref: string;
    /** Standing approvals this task's approval gave, each with Revoke where the viewer may. */
    grants: GrantRow[];
    /** Set when a standing approval approved this task. */
    approvedByGrant: ApprovedByGrant | null;
  };

/** The diff stored with the decision is the record; decisions from before it was stored get one computed. */
export function decisionDiffOf(task: TaskRecord): DecisionDiffLine[] | null {
  const decision = task.decision;
  if (decision?.action !== 'approve_with_modifications' || decision.modifiedPayload === null) return null;
  return unifiedDiffLines(decision.diff ?? unifiedPayloadDiff(task.payload, decision.modifiedPayload));
}

/** The stored decision's changes by field path, as the confirm step showed them. */
export function decisionChangesOf(task: TaskRecord): FieldChange[] | null {
  const decision = task.decision;
  if (decision?.action !== 'approve_with_modifications' || decision.modifiedPayload === null) return null;
  return fieldChanges(task.payload, decision.modifiedPayload);
}

export type ReviewView = ApprovalPanelView & {
  reviewer: string;
  /** An external reviewer's link: the page says they act as a guest, on this task only, and signs no one in. */
  guest?: boolean;
};

/** A card with what its viewer may do to it, decided here rather than in the template. */
export interface BoardCardView extends DetailedCard {
  /** Columns this viewer may drag the card to: only moves whose action can succeed (none for a viewer). */
  moves: BoardStage[];
  /** Where the card's Release button sends it, when this viewer may release it. */
  releaseTo: BoardStage | null;
  /** Whether the card offers Decide (a link to the task page): open, and this viewer may cast a vote. */
  mayDecide: boolean;
  /** The card's actions this viewer cannot take, shown disabled, and the distinct reasons why. */
  blocked: { action: TaskAction; label: string }[];
  reasons: string[];
}

export interface BoardColumnView {
  /** The configured column's id: the section is #column-<id>, and "Show more" keeps show=<id>:n. */
  id: string;
  /** A stage column's stage (the drop target for moves to it); null for a filter column. */
  stage: BoardStage | null;
  title: string;
  total: number;
  cards: BoardCardView[];
  /** The same board with this column showing more cards; null when it shows all it can. */
  moreHref: string | null;
}

/** board-columns.eta: the columns alone, also sent as the fragment the live board swaps in. */
export interface BoardColumnsView {
  columns: BoardColumnView[];
  now: number;
  csrf: string;
}

/**
 * The board's columns as the page shows them to `principal`. The page, its live fragment and the
 * board bench (bench/suites/04-queue-board.js) all build the template's data here.
 */
export function boardColumnsView(input: {
  columns: BoardColumn[];
  /** Whom loadBoard decided the cards' actions for. */
  principal: Principal;
  csrf: string;
  now: number;
  /** The page's link for "show `count` cards of column `id`"; without it no column offers more. */
  moreHref?: (id: string, count: number) => string;
}): BoardColumnsView {
  return {
    now: input.now,
    csrf: input.csrf,
    columns: input.columns.map((column) => ({
      id: column.id,
      stage: column.stage,
      title: column.title,
      total: column.total,
      moreHref:
        input.moreHref && column.total > column.cards.length && column.cards.length < BOARD_COLUMN_MAX
          ? input.moreHref(column.id, column.cards.length + BOARD_COLUMN_LIMIT)
          : null,
      cards: column.cards.map((card) => {
        // A filter column holds open cards of any stage: each card's own stage says what it offers.
        return cardView(card, column.stage ?? stageOf(card));
      }),
    })),
  };
}

const ACTION_LABELS: Record<TaskAction, string> = {
  claim: 'Claim',
  release: 'Release',
  escalate: 'Escalate',
  decide: 'Decide',
};

/**
 * What a card offers: each move and button only where its action can succeed (the refusals
 * loadBoard computed with the use cases' own rules); the actions its column would offer but this
 * viewer cannot take stay visible, disabled, with the reason in words.
 */
export function cardView(card: DetailedCard, stage: BoardStage): BoardCardView {
  const possible = movesFrom(card);
  const moves = possible.filter((to) => card.actions[moveAction(to)] === null);
  const releaseTo = moves.find((to) => moveAction(to) === 'release') ?? null;
  const offered = new Set<TaskAction>(possible.map(moveAction));
  if (stage !== 'completed') offered.add('decide');
  const blocked = TASK_ACTIONS.filter((action) => offered.has(action) && card.actions[action] !== null).map(
    (action) => ({ action, label: ACTION_LABELS[action] }),
  );
  // Distinct, and a reason another one spells out further ("Claimed by Ana" beside "Claimed by Ana;
  // only they or an admin can release it") is said once.
  const said = [...new Set(blocked.map(({ action }) => card.actions[action] as string))];
  const reasons = said.filter((reason) => !said.some((other) => other !== reason && other.startsWith(reason)));
  return {
    ...card,
    moves,
    releaseTo,
    mayDecide: offered.has('decide') && card.actions.decide === null,
    blocked,
    reasons,
  };
}

/** The board's filter form as submitted (empty strings for filters not set), shown again as chosen. */
export interface BoardFilterForm {
  queue: string;
  risk: string;
  status: string;
  source: string;
  tag: string;
  /** A member's id, "mine" or "unassigned". */
  assignee: string;
  /** "1": only tasks past their deadline. */
  breached: string;
  q: string;
}

/** One of the user's saved views as the filter bar links it. */
export interface SavedViewLink {
  id: string;
  name: string;
  href: string;
  /** The page shows exactly this view's filters. */
  current: boolean;
}

type BoardCommon = SignedIn & {
  form: BoardFilterForm;
  options: { queues: string[]; sources: string[]; members: MemberRecord[]; tags: string[] };
  /** Whether any filter is set (an empty result then offers to clear them). */
  filtered: boolean;
  exportHref: (format: 'csv' | 'jsonl') => string;
  /** The signed-in user's saved views, and the query "Save view" would keep (filters and order only). */
  views: SavedViewLink[];
  viewQuery: string;
  notice?: string;
  error?: string;
  /** The name typed into "Save view", shown again when saving was refused. */
  viewName?: string;
};

/** A sortable header of the list: a link toggling the order, `aria-sort` when it is the active one. */
export interface ListHeader {
  key: string;
  label: string;
  href: string;
  sort: 'ascending' | 'descending' | null;
}

/** After a bulk claim/release/escalate: what happened to each selected task. */
export type BulkResultView = SignedIn & {
  heading: string;
  summary: string;
  outcomes: { id: string; title: string | null; done: boolean; reason: string | null }[];
  backHref: string;
};

export type BoardView = BoardCommon &
  (
    | {
        view: 'list';
        sort: TaskSort;
        dir: 'asc' | 'desc' | null;
        /** The header of each sortable column; absent for columns the list cannot sort by. */
        headers: Record<string, ListHeader>;
        /** Whether the user may claim, release and escalate (the bulk buttons), and if not, why. */
        bulk: { allowed: boolean; reason: string | null; backHref: string };
        now: number;
        tasks: TaskRecord[];
        nextCursor: string | null;
        nextHref: string;
      }
    | ({ view: 'board' } & BoardColumnsView)
  );

/** The invitation form's values, shown again when an invitation was refused. */
export interface InviteFormValues {
  email: string;
  name?: string;
  role: Role;
}

export type AdminUsersView = SignedIn & {
  members: ManagedMember[];
  maxName: number;
  invitations: OpenInvitationView[];
  notice?: string;
  error?: string;
  invite?: InviteFormValues;
};

/** One active API key as the admin page lists it: never the secret. */
export interface ApiKeyRowView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** In words: a person's name, "operator (CLI)", … */
  createdBy: string;
}

export type AdminApiKeysView = SignedIn & {
  keys: ApiKeyRowView[];
  maxName: number;
  notice?: string;
  error?: string;
  /** What the create form held when it was refused. */
  form?: { name: string; role: Role };
  /** The key just created, with its secret: shown on this one answer only. */
  created?: ApiKeyRowView & { key: string };
};

export type AdminApiKeyRevokeView = SignedIn & { key: ApiKeyRowView };

export type SettingsGroupsView = SignedIn & {
  /** The workspace's members, to pick from. */
  users: { id: string; label: string; role: Role; deactivated: boolean }[];
  groups: { name: string; userIds: string[]; keys: string[] }[];
  notice?: string;
  error?: string;
  form?: { name: string; members: string[] };
};

/** /settings/reviewers: the external reviewers allowlist as a box of lines. */
export type SettingsReviewersView = SignedIn & {
  /** The entries one a line: the saved ones, or what the admin typed when it was refused. */
  text: string;
  /** How many entries are saved. */
  count: number;
  /** The API path of the same setting. */
  api: string;
  notice?: string;
  /** Problems by line; empty when saved. */
  errors: string[];
};

/** /settings/halts: the stop button per scope, and the halts with their Resume buttons. */
export type SettingsHaltsView = SignedIn & {
  /** Active halts, oldest first; each has a Resume button. */
  active: HaltRow[];
  /** The latest resumed halts, for the record. */
  resumed: HaltRow[];
  /** The workspace's queues, each with its own Stop button (greyed out while that queue is halted). */
  queues: { name: string; halted: boolean }[];
  workspaceHalted: boolean;
  notice?: string;
  error?: string;
};

export interface HaltRow {
  id: string;
  /** "the whole workspace", "queue payments", … */
  what: string;
  reason: string | null;
  by: string;
  since: string;
  resumedBy: string | null;
  resumedAt: string | null;
}

/** One row of /settings/board: a column as the admin edits it. */
export interface BoardSettingsColumn {
  id: string;
  title: string;
  hidden: boolean;
  kind: 'stage' | 'filter';
  /** "Built-in stage: Pending" or "Filter: tag fraud · level 2 or later". */
  describe: string;
  /** Problems with this column, by field (title, id, stage, filter). */
  problems: Record<string, string>;
}

/** /settings/board: the board's columns in order, and the form that adds a filter column. */
export type SettingsBoardView = SignedIn & {
  version: number;
  columns: BoardSettingsColumn[];
  maxColumns: number;
  queues: string[];
  notice?: string;
  /** Which form failed (its summary shows there), and the problems not tied to one column. */
  failed?: 'columns' | 'add';
  errors: string[];
  add: { title: string; tag: string; queue: string; source: string; risk: string; minLevel: string };
  /** Problems with the new column's fields (title, tag, queue, source, risk, minLevel, filter). */
  addProblems: Record<string, string>;
};

/** /account: the signed-in user's password form and mail settings, as typed (passwords never echoed). */
export type AccountView = SignedIn & {
  notice?: string;
  /** Which form the problems belong to, so the right one shows its summary. */
  failed?: 'password' | 'settings';
  /** Problems by field name (currentPassword, newPassword, confirmPassword, timeZone, mailMode, mailsPerHour). */
  fieldErrors: Record<string, string>;
  minPasswordLength: number;
  maxMailsPerHour: number;
  defaultMailsPerHour: number;
  /** The zone mail falls back to when the user chose none (the workspace's, else UTC). */
  fallbackTimeZone: string;
  settings: { timeZone: string; mailMode: string; mailsPerHour: string };
};

export interface GroupMemberView {
  kind: 'user' | 'API key';
  label: string;
}

/** A queue's health in words for the settings page (domain/approvals/queues.ts `queueHealth`). */
export interface QueueHealthView {
  open: number;
  breached: number;
  decided: number;
  /** "12 min", or "no decisions in the last 24 h". */
  median: string;
}

export type QueueSettingsView = SignedIn & {
  canConfigure: boolean;
  notice?: string;
  queues: (QueueView & { summary: QueueSummary; health: QueueHealthView })[];
  groups: { name: string; members: GroupMemberView[] }[];
};

export type QueueEditView = SignedIn & {
  mode: 'create' | 'edit';
  name: string;
  text: string;
  builtIn: boolean;
  action: string;
  error?: string;
  problems: FieldError[];
  /** The queue builder's rows (web/pages/queue-settings-builder.ts), as typed. */
  builder: BuilderState;
  /** Builder problems by config path (`policy.rules[1].threshold`), shown beside the field. */
  fieldErrors: Record<string, string>;
  /** Existing reviewer groups, for the builder's pickers. */
  groups: string[];
  choices: typeof BUILDER_CHOICES;
  /** Which editor the admin last used: the JSON one opens its "Advanced" section. */
  editor: 'builder' | 'json';
  warnings: ConfigWarning[];
  /** After "Preview": what the config would have done with the queue's recent tasks (nothing saved). */
  preview?: QueuePreview['recent'];
  /** After "Test against the last 30 days": the backtest of the config as the form stands (nothing saved). */
  backtest?: PolicyBacktestResult;
};

/** The HTML part of a review mail: the domain's mail view, its agent-written strings made unlinkable (kit/mail.ts). */
export type ReviewMailHtmlView = ReviewMailView;

/** A chart the analytics page's script draws (static/analytics.js); its numbers are also in the table beside it. */
export interface AnalyticsChart {
  type: 'bar' | 'line';
  /** What the chart shows, in a sentence: the canvas's accessible name. */
  label: string;
  /** The id of the table holding the same numbers. */
  tableId: string;
  labels: string[];
  datasets: { label: string; data: (number | null)[] }[];
  /** How the y axis reads: shares as percentages, or plain numbers. */
  unit: 'percent' | 'number';
  stacked?: boolean;
}

export interface AnalyticsHeadline {
  label: string;
  value: string;
  /** The same number over the previous period, in words ("up from 40 % in the previous 7 days"). */
  trend: string;
  hint: string;
}

export type AnalyticsView = SignedIn & {
  filter: { from: string; to: string; queue: string; agent: string; interval: 'day' | 'week' };
  /** Problems with the filter, in words; the page then shows the default range. */
  errors: string[];
  /** "Numbers as of 2 min ago (…)": how far behind the rollups are. */
  freshness: string;
  headlines: AnalyticsHeadline[];
  reviewers: {
    name: string;
    decisions: number;
    approve: string;
    modify: string;
    reject: string;
    medianOffered: string;
    p90Offered: string;
    medianClaimed: string;
    p90Claimed: string;
    fast: string;
    late: number;
  }[];
  queues: { queue: string; withSla: number; within: string; breaches: number; escalated: number; median: string }[];
  slaSeries: { period: string; withSla: number; within: string; breaches: number }[];
  /** The open board stages' titles as this workspace's board names them, in OPEN_STAGES order. */
  stageColumns: string[];
  /** Per queue, one entry per stage column: the median time ("45 s", '–') and how many tasks passed through. */
  stageTimes: { queue: string; stages: { median: string; tasks: number }[] }[];
  /** The backlog's age buckets ("< 1 h", …). */
  backlogAges: string[];
  /** Per queue, open tasks now and one count per age bucket. */
  backlog: { queue: string; open: number; byAge: number[] }[];
  /** "Open tasks at 2026-… UTC, whatever the range": the backlog is now, not a history. */
  backlogNote: string;
  agents: {
    agent: string;
    version: string;
    tasks: number;
    intervention: string;
    modification: string;
    rejection: string;
    meanEdit: string;
  }[];
  drift: { agent: string; drifted: boolean; summary: string; details: string[] }[];
  calibration: { bucket: string; decided: number; unchanged: number; rejected: number; rate: string }[];
  suggestion: string;
  roiSeries: { period: string; tasks: number; autoApproved: string; minutes: string; cost: string; errors: number }[];
  costNote: string;
  charts: {
    reviewers: AnalyticsChart;
    sla: AnalyticsChart;
    agents: AnalyticsChart;
    calibration: AnalyticsChart;
    roi: AnalyticsChart;
  };
};
