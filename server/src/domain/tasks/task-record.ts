import type {
  Actor,
  DecisionAction,
  Form,
  FormResponse,
  RiskLevel,
  TaskClassification,
  TaskStatus,
} from '@loopgate/shared';

/** JSON as stored and returned: whatever the agent sent, never interpreted by the server. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface DecisionRecord {
  action: DecisionAction;
  comment: string | null;
  modifiedPayload: JsonValue | null;
  /** approve_with_modifications: the unified diff from the original payload to the modified one. */
  diff: string | null;
  /** reject: the chosen reason's code (one of the queue's rejectReasons); null otherwise or when none was given. */
  reasonCode: string | null;
  /** An approval: the reviewer's answers to the task's responseForm, as validated; null without one. */
  response: FormResponse | null;
  /**
   * An approval: SHA-256 of the canonical JSON of the payload that may run, set when the decision is
   * written (`writeChange`), so planners never compute it; null for a rejection or an old decision.
   */
  payloadDigest?: string | null;
  decidedBy: Actor;
  decidedAt: number;
}

export interface AgentRecord {
  id: string;
  name: string | null;
  version: string | null;
  model: string | null;
}

/** The domain's view of a task. Times are epoch milliseconds; the HTTP layer renders them as ISO strings. */
export interface TaskRecord {
  id: string;
  workspaceId: string;
  queue: string;
  title: string;
  description: string | null;
  payload: JsonValue;
  context: JsonValue | null;
  confidence: number | null;
  riskLevel: RiskLevel | null;
  tags: string[];
  source: string;
  externalRef: string | null;
  /** The agent that asked, as given on create; null when none was named. */
  agent: AgentRecord | null;
  callbackUrl: string | null;
  status: TaskStatus;
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  version: number;
  createdBy: Actor;
  /** Payload fields a reviewer edits through labelled inputs (shared/forms); null without one. */
  form: Form | null;
  /** What a reviewer must answer when approving; the answers are the decision's `response`. */
  responseForm: Form | null;
  decision: DecisionRecord | null;
  /** Queue workflow state (routing, level, escalation); absent means the defaults of a fresh task. */
  workflow?: TaskWorkflowRecord;
  /**
   * Set once payload retention erased the payload and context (then `payload` is null and `context`
   * null, and they are not what the agent sent); absent or null: they are as the agent sent them.
   */
  payloadErasure?: PayloadErasureRecord | null;
  /**
   * What the queue's sensitive-data detectors found at creation (domain/approvals/classification.ts):
   * detectors and JSON paths, never values. When they raised the risk, `riskLevel` is the raised
   * (effective) level and `classification.raisedFrom` the agent's. Absent or null: none were enabled.
   */
  classification?: TaskClassification | null;
}

/** What payload retention left of a closed task's payload (domain/tasks/erase-payloads.ts). */
export interface PayloadErasureRecord {
  erasedAt: number;
  /** SHA-256 of the RFC 8785 JSON of {payload, form} as erased: the audit entries' `shownDigest`. */
  shownDigest: string;
}

/** Where a task stands in its queue's workflow. `nextSweepAt` is when the SLA sweeper must look at it next. */
export interface TaskWorkflowRecord {
  routingRule: string | null;
  routingReason: string | null;
  levels: number;
  level: number;
  priority: number;
  escalated: boolean;
  escalationStep: number;
  nextSweepAt: number | null;
  assignedGroup: string | null;
  assignee: Actor | null;
  claimed: boolean;
}

export const DEFAULT_WORKFLOW: Readonly<TaskWorkflowRecord> = Object.freeze({
  routingRule: null,
  routingReason: null,
  levels: 1,
  level: 1,
  priority: 0,
  escalated: false,
  escalationStep: 0,
  nextSweepAt: null,
  assignedGroup: null,
  assignee: null,
  claimed: false,
});

export interface TaskEventRecord {
  id: string;
  workspaceId: string;
  taskId: string;
  type: string;
  fromStatus: TaskStatus | null;
  toStatus: TaskStatus | null;
  actor: Actor;
  reason: string | null;
  data: JsonValue | null;
  createdAt: number;
}

/** What a compare-and-set transition may change; the repository applies it only if status and version still match. */
export interface TaskTransition {
  status: TaskStatus;
  updatedAt: number;
  closedAt?: number | null;
  decision?: DecisionRecord;
  /** Workflow fields to change; a transition to a final status also clears `nextSweepAt`. */
  workflow?: Partial<TaskWorkflowRecord>;
}
