import type { DecisionAction, Delivery, FieldError, Role } from '@loopgate/shared';
import {
  type DiffLine,
  payloadText,
  unifiedDiffLines,
  unifiedPayloadDiff,
} from '../../domain/approvals/payload-diff.js';
import type { QueueView } from '../../domain/approvals/queues.js';
import { can, type Principal } from '../../domain/kernel/access.js';
import { type BoardColumn, type BoardStage, movesFrom } from '../../domain/reviewers/board.js';
import type { OpenedInvitation, OpenInvitationView } from '../../domain/reviewers/invitations.js';
import type { ManagedMember } from '../../domain/reviewers/members.js';
import type { BoardCard, BoardFilter, MemberRecord } from '../../domain/reviewers/reviewer-ports.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import type { JsonValue, TaskEventRecord, TaskRecord } from '../../domain/tasks/task-record.js';
import type { QueueSummary } from './queue-summary.js';

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

/** task-summary.eta: the task's facts, description, context and payload. */
export interface TaskSummaryView {
  task: TaskRecord;
  payloadText: string;
  contextText: string;
  payloadKind: 'text' | 'json';
}

export function taskSummaryView(task: TaskRecord): TaskSummaryView {
  return {
    task,
    payloadText: payloadText(task.payload),
    contextText: task.context === null ? '' : payloadText(task.context as JsonValue),
    payloadKind: typeof task.payload === 'string' ? 'text' : 'json',
  };
}

/** A modification the reviewer checks before confirming it. */
export interface PayloadPreview {
  diff: DiffLine[];
  edited: string;
  comment: string;
}

/** approval-panel.eta: the decision forms (task page with a session, review page with a link token). */
export interface ApprovalPanelView extends TaskSummaryView {
  allowed: DecisionAction[];
  formAction: string;
  backHref: string;
  /** Absent on e-mail link pages: the link's token is the credential. */
  csrf?: string;
  error?: string;
  /** What the reviewer typed, shown again when it was refused. */
  edited?: string;
  preview?: PayloadPreview;
}

export type DecisionDiffLine = ReturnType<typeof unifiedDiffLines>[number];

export type TaskView = ApprovalPanelView &
  SignedIn & {
    events: TaskEventRecord[];
    /** Already cut down to what this user may see of each URL (listDeliveries). */
    deliveries: Delivery[];
    canRedeliver: boolean;
    decisionDiff: DecisionDiffLine[] | null;
    canDecide: boolean;
  };

/** The diff stored with the decision is the record; decisions from before it was stored get one computed. */
export function decisionDiffOf(task: TaskRecord): DecisionDiffLine[] | null {
  const decision = task.decision;
  if (decision?.action !== 'approve_with_modifications' || decision.modifiedPayload === null) return null;
  return unifiedDiffLines(decision.diff ?? unifiedPayloadDiff(task.payload, decision.modifiedPayload));
}

export type ReviewView = ApprovalPanelView & { reviewer: string };

/** A card with what its viewer may do to it, decided here rather than in the template. */
export interface BoardCardView extends BoardCard {
  /** Columns this viewer may drag the card to (none for a viewer). */
  moves: BoardStage[];
  /** Where the card's Release button sends it, when this viewer may release it. */
  releaseTo: BoardStage | null;
}

export interface BoardColumnView {
  stage: BoardStage;
  title: string;
  total: number;
  cards: BoardCardView[];
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
  principal: Principal;
  csrf: string;
  now: number;
}): BoardColumnsView {
  const { principal } = input;
  const canDecide = can(principal.role, 'task:decide');
  const isAdmin = can(principal.role, 'workspace:admin');
  return {
    now: input.now,
    csrf: input.csrf,
    columns: input.columns.map((column) => ({
      stage: column.stage,
      title: column.title,
      total: column.total,
      cards: column.cards.map((card) => {
        const moves = canDecide ? movesFrom(card) : [];
        // Only whoever claimed a card (or an admin) hands it back.
        const mayRelease =
          column.stage === 'in_progress' && canDecide && (isAdmin || card.assigneeId === principal.actor.id);
        return { ...card, moves, releaseTo: mayRelease ? (moves[0] ?? null) : null };
      }),
    })),
  };
}

type BoardCommon = SignedIn & { filter: BoardFilter; members: MemberRecord[] };

export type BoardView = BoardCommon &
  (
    | { view: 'list'; tasks: TaskRecord[]; nextCursor: string | null; nextHref: string }
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

export interface GroupMemberView {
  kind: 'user' | 'API key';
  label: string;
}

export type QueueSettingsView = SignedIn & {
  canConfigure: boolean;
  notice?: string;
  queues: (QueueView & { summary: QueueSummary })[];
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
};
