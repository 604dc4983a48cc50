import type { FormFieldRow } from '@loopgate/shared/form-builder';
import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeProperties,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
  NodeConnectionTypes,
} from 'n8n-workflow';
import { loopgateRequest } from '../../lib/api.js';
import { backstopFields, type DecisionItem, type ServerTask } from '../../lib/decision.js';
import { n8nWorkflow } from '../../lib/n8n-runtime.js';
import { resumeWithServerState } from '../../lib/resume.js';
import {
  buildCreateTaskBody,
  parseJsonParameter,
  RISK_LEVEL_OPTIONS,
  type TaskFields,
  waitTill,
  workflowAgent,
} from '../../lib/task-input.js';
import {
  agentFeedback,
  defaultGateTitle,
  editedApprovalFor,
  type GatedToolCall,
  type GateReview,
  gatedToolCall,
  isToolGate,
  waitLimitFeedback,
} from '../../lib/tool-gate.js';

/**
 * The Request Approval operation's value must be n8n's SEND_AND_WAIT_OPERATION: n8n checks the resume
 * URL's signature only for a waiting node whose `operation` is exactly this (1.123), and on 2.x it is the
 * only operation resumable through the HMAC-signed URL from getSignedResumeUrl(). Any other value would
 * let anyone who learns the execution id resume the workflow (1.123) or refuse Loopgate's callback (2.x).
 */
const REQUEST_APPROVAL = 'sendAndWait';

const taskOperations = [REQUEST_APPROVAL, 'create'];

/** One row of "Form Fields" or "Response Fields"; payload path and read-only apply to form fields only. */
function formFieldRow(editable: boolean): INodeProperties[] {
  const row: INodeProperties[] = [
    {
      displayName: 'Name',
      name: 'name',
      type: 'string',
      default: '',
      placeholder: editable ? 'amount' : 'reply',
      description: editable
        ? 'Field name; the payload member it edits unless a payload path is given'
        : 'Field name; the answer comes back under this name in "response"',
    },
    {
      displayName: 'Label',
      name: 'label',
      type: 'string',
      default: '',
      placeholder: editable ? 'Refund amount' : 'Note to the customer',
      description: 'What the reviewer reads next to the input',
    },
    {
      displayName: 'Type',
      name: 'type',
      type: 'options',
      options: [
        { name: 'Choice', value: 'enum' },
        { name: 'Number', value: 'number' },
        { name: 'Text', value: 'string' },
        { name: 'Whole Number', value: 'integer' },
        { name: 'Yes/No', value: 'boolean' },
      ],
      default: 'string',
    },
    {
      displayName: 'Options',
      name: 'options',
      type: 'string',
      default: '',
      placeholder: 'damaged=Arrived damaged, late=Arrived late',
      description: 'The choices, comma-separated: value or value=Label',
      displayOptions: { show: { type: ['enum'] } },
    },
    {
      displayName: 'Required',
      name: 'required',
      type: 'boolean',
      default: false,
      description: 'Whether the reviewer must fill it in',
    },
  ];
  if (!editable) return row;
  return [
    ...row,
    {
      displayName: 'Payload Path',
      name: 'path',
      type: 'string',
      default: '',
      placeholder: '/refund/amount',
      description: 'JSON Pointer to the payload value this field edits; empty: /&lt;name&gt;',
    },
    {
      displayName: 'Read-Only',
      name: 'readOnly',
      type: 'boolean',
      default: false,
      description: 'Whether the field is shown but not editable',
    },
  ];
}

const taskFields: INodeProperties[] = [
  {
    displayName: 'Title',
    name: 'title',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'Refund order #1234 for $250?',
    description: 'What the reviewer is asked to approve',
    displayOptions: { show: { operation: taskOperations } },
  },
  {
    displayName: 'Payload to Review',
    name: 'payload',
    type: 'json',
    required: true,
    default: '={{ JSON.stringify($json) }}',
    description:
      'The JSON the reviewer sees and may modify; the workflow continues with the reviewed version in "payload"',
    displayOptions: { show: { operation: taskOperations } },
  },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    displayOptions: { show: { operation: taskOperations } },
    options: [
      {
        displayName: 'Confidence',
        name: 'confidence',
        type: 'number',
        typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
        default: 0.5,
        description: "The automation's or agent's confidence, 0 to 1; queues can route on it",
      },
      {
        displayName: 'Context',
        name: 'context',
        type: 'json',
        default: '{}',
        description: 'Extra JSON shown to the reviewer next to the payload (not modifiable)',
      },
      {
        displayName: 'Description',
        name: 'description',
        type: 'string',
        typeOptions: { rows: 4 },
        default: '',
        description: 'Longer explanation for the reviewer (Markdown)',
      },
      {
        displayName: 'Due Time',
        name: 'dueAt',
        type: 'dateTime',
        default: '',
        description: 'When the task expires if nobody decided; give this or an SLA, not both',
      },
      {
        displayName: 'External Reference',
        name: 'externalRef',
        type: 'string',
        default: '',
        description: 'Your own ID for this request (defaults to n8n:&lt;workflow ID&gt;:&lt;execution ID&gt;)',
      },
      {
        displayName: 'Queue',
        name: 'queue',
        type: 'string',
        default: '',
        placeholder: 'refunds',
        description: 'Queue slug; its policy decides routing, reviewers and the default SLA',
      },
      {
        displayName: 'Reviewers (E-Mails)',
        name: 'reviewers',
        type: 'string',
        default: '',
        placeholder: 'ana@example.com, li@example.com',
        description:
          "Comma-separated e-mails to ask instead of the queue's reviewer group: workspace members, or external reviewers (guests), who must be on the workspace's allowlist (Settings → External reviewers) and decide by e-mail link where the queue's level allows guests",
      },
      {
        displayName: 'Risk Level',
        name: 'riskLevel',
        type: 'options',
        options: RISK_LEVEL_OPTIONS.map((level) => ({ name: level[0]!.toUpperCase() + level.slice(1), value: level })),
        default: 'medium',
      },
      {
        displayName: 'SLA (Minutes)',
        name: 'slaMinutes',
        type: 'number',
        typeOptions: { minValue: 0 },
        default: 0,
        description: 'Minutes until Loopgate expires the task; 0 uses the queue default',
      },
      {
        displayName: 'Tags',
        name: 'tags',
        type: 'string',
        default: '',
        placeholder: 'refund, vip',
        description: 'Comma-separated',
      },
    ],
  },
  {
    displayName: 'Form Fields',
    name: 'formFields',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Form Field',
    default: {},
    description: 'Payload fields the reviewer edits through labelled inputs instead of raw JSON',
    displayOptions: { show: { operation: taskOperations } },
    options: [{ displayName: 'Field', name: 'field', values: formFieldRow(true) }],
  },
  {
    displayName: 'Response Fields',
    name: 'responseFields',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Response Field',
    default: {},
    description: 'What the reviewer must answer when approving; the answers come back in "response"',
    displayOptions: { show: { operation: taskOperations } },
    options: [{ displayName: 'Field', name: 'field', values: formFieldRow(false) }],
  },
];

// Its webhook is a resume webhook (see `webhooks` below), not a registration with Loopgate.
// eslint-disable-next-line @n8n/community-nodes/webhook-lifecycle-complete
export class Loopgate implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Loopgate',
    name: 'loopgate',
    icon: { light: 'file:loopgate.svg', dark: 'file:loopgate.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{ $parameter["operation"] }}',
    description: 'Ask a human to approve, modify or reject, and continue with the decision',
    defaults: { name: 'Loopgate' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    usableAsTool: true,
    credentials: [{ name: 'loopgateApi', required: true }],
    // The waiting execution's resume endpoint: Loopgate POSTs the decision to the signed URL of
    // <WEBHOOK_URL>/webhook-waiting/<executionId>/<nodeId>, handled by webhook() below. It exists only
    // while an execution waits (restartWebhook), so there is nothing to register: no webhookMethods.
    webhooks: [
      {
        name: 'default',
        httpMethod: 'POST',
        responseMode: 'onReceived',
        path: '={{ $nodeId }}',
        restartWebhook: true,
      },
    ],
    properties: [
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        options: [
          {
            name: 'Cancel Task',
            value: 'cancel',
            action: 'Cancel a task',
            description: 'Withdraw an open task',
          },
          {
            name: 'Create Task',
            value: 'create',
            action: 'Create a task',
            description: 'Create an approval task and continue without waiting',
          },
          {
            name: 'Get Task',
            value: 'get',
            action: 'Get a task',
          },
          {
            name: 'List Tasks',
            value: 'list',
            action: 'List tasks',
          },
          {
            name: 'Request Approval (and Wait)',
            value: REQUEST_APPROVAL,
            action: 'Request approval and wait for the decision',
            description: 'Create a task, pause the workflow and resume with the decision',
          },
        ],
        default: REQUEST_APPROVAL,
      },
      ...taskFields,
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        displayOptions: { show: { operation: [REQUEST_APPROVAL] } },
        options: [
          {
            displayName: 'Wait Limit (Minutes)',
            name: 'waitLimitMinutes',
            type: 'number',
            typeOptions: { minValue: 0 },
            default: 0,
            description:
              'Backstop: stop waiting after this long even if Loopgate never calls back (the item then has decision "expired" and resumedBy "wait_limit"). 0: the task\'s SLA plus one hour, or no limit without an SLA.',
          },
        ],
      },
      {
        displayName: 'Callback URL',
        name: 'callbackUrl',
        type: 'string',
        default: '',
        description: 'Optional URL Loopgate POSTs the final decision to',
        displayOptions: { show: { operation: ['create'] } },
      },
      {
        displayName: 'Task ID',
        name: 'taskId',
        type: 'string',
        required: true,
        default: '',
        placeholder: 'tsk_…',
        displayOptions: { show: { operation: ['get', 'cancel'] } },
      },
      {
        displayName: 'Reason',
        name: 'reason',
        type: 'string',
        default: '',
        description: 'Why the task is withdrawn (kept in its history)',
        displayOptions: { show: { operation: ['cancel'] } },
      },
      {
        displayName: 'Return All',
        name: 'returnAll',
        type: 'boolean',
        default: false,
        description: 'Whether to return all results or only up to a given limit',
        displayOptions: { show: { operation: ['list'] } },
      },
      {
        displayName: 'Limit',
        name: 'limit',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 200 },
        default: 50,
        description: 'Max number of results to return',
        displayOptions: { show: { operation: ['list'], returnAll: [false] } },
      },
      {
        displayName: 'Filters',
        name: 'filters',
        type: 'collection',
        placeholder: 'Add Filter',
        default: {},
        displayOptions: { show: { operation: ['list'] } },
        options: [
          { displayName: 'External Reference', name: 'externalRef', type: 'string', default: '' },
          { displayName: 'Queue', name: 'queue', type: 'string', default: '' },
          {
            displayName: 'Risk Level',
            name: 'riskLevel',
            type: 'options',
            options: RISK_LEVEL_OPTIONS.map((level) => ({
              name: level[0]!.toUpperCase() + level.slice(1),
              value: level,
            })),
            default: 'high',
          },
          {
            displayName: 'Status',
            name: 'status',
            type: 'options',
            options: [
              { name: 'Approved', value: 'approved' },
              { name: 'Approved With Modifications', value: 'approved_with_modifications' },
              { name: 'Cancelled', value: 'cancelled' },
              { name: 'Expired', value: 'expired' },
              { name: 'In Review', value: 'in_review' },
              { name: 'Pending Review', value: 'pending_review' },
              { name: 'Rejected', value: 'rejected' },
              { name: 'Revoked', value: 'revoked' },
            ],
            default: 'pending_review',
          },
        ],
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const operation = this.getNodeParameter('operation', 0) as string;
    if (operation === REQUEST_APPROVAL) return requestApproval.call(this);
    const items = this.getInputData();
    const out: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        const results = await runOperation.call(this, operation, i);
        for (const json of results) out.push({ json, pairedItem: { item: i } });
      } catch (error) {
        if (this.continueOnFail()) {
          out.push({ json: errorJson(error), pairedItem: { item: i } });
          continue;
        }
        throw asNodeError(this, error, i);
      }
    }
    return [out];
  }

  /**
   * A POST to the waiting execution's resume URL (n8n has already checked the URL's signature). Holding
   * that URL is not enough to decide: the node resumes with the task as Loopgate has it, read back with
   * its own credential, never with the body it was sent (see lib/resume.ts).
   */
  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const response = await resumeWithServerState(this, () => new Date());
    if (!isToolGate(this.getNode().type) || !response.workflowData) return response;
    // As an AI Agent tool's review: tell the agent whether the tool may run, and if not, why.
    const tool = gatedToolCall({ tool: this.evaluateExpression('{{ $json.tool }}', 0) }).tool;
    for (const item of response.workflowData.flat()) {
      Object.assign(item.json, agentFeedback(item.json as unknown as DecisionItem, tool));
    }
    return response;
  }
}

function taskFieldsAt(ctx: IExecuteFunctions, i: number): TaskFields {
  const extra = ctx.getNodeParameter('additionalFields', i, {}) as IDataObject;
  return {
    title: ctx.getNodeParameter('title', i) as string,
    payload: ctx.getNodeParameter('payload', i),
    description: extra.description as string | undefined,
    context: extra.context,
    confidence: extra.confidence as number | undefined,
    riskLevel: extra.riskLevel as string | undefined,
    queue: extra.queue as string | undefined,
    reviewers: extra.reviewers as string | undefined,
    tags: extra.tags as string | undefined,
    slaMinutes: extra.slaMinutes as number | undefined,
    dueAt: extra.dueAt as string | undefined,
    externalRef: extra.externalRef as string | undefined,
    formFields: fieldRowsAt(ctx, 'formFields', i),
    responseFields: fieldRowsAt(ctx, 'responseFields', i),
  };
}

function fieldRowsAt(ctx: IExecuteFunctions, name: string, i: number): FormFieldRow[] {
  const collection = ctx.getNodeParameter(name, i, {}) as { field?: FormFieldRow[] };
  return collection.field ?? [];
}

function defaultExternalRef(ctx: IExecuteFunctions): string {
  return `n8n:${ctx.getWorkflow().id ?? 'workflow'}:${ctx.getExecutionId()}`;
}

async function requestApproval(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const items = this.getInputData();
  if (items.length === 0) return [[]];
  if (items.length > 1) {
    // One waiting execution has one resume URL, so it can wait for one decision. Refusing beats
    // silently reviewing item 0 and dropping the rest.
    throw new (n8nWorkflow().NodeOperationError)(
      this.getNode(),
      `Request Approval waits for one decision per execution but received ${items.length} items`,
      {
        description:
          'Put "Loop Over Items" (batch size 1) before this node to ask once per item, or "Aggregate" to ask once for all of them.',
      },
    );
  }
  if (isToolGate(this.getNode().type)) return reviewToolCall.call(this, items[0]!);
  try {
    const fields = taskFieldsAt(this, 0);
    return await createTaskAndWait.call(this, items[0]!, {
      ...fields,
      externalRef: fields.externalRef || defaultExternalRef(this),
    });
  } catch (error) {
    if (this.continueOnFail()) return [[{ json: errorJson(error), pairedItem: { item: 0 } }]];
    throw asNodeError(this, error, 0);
  }
}

/**
 * Opens the task with this execution's signed resume URL as its callback and pauses the execution;
 * webhook() resumes it with the decision. As a tool review (`gate`), the tool call's id joins the
 * idempotency key, because an AI Agent may call a gated tool more than once in one execution.
 */
async function createTaskAndWait(
  this: IExecuteFunctions,
  item: INodeExecutionData,
  fields: TaskFields,
  gate?: { call: GatedToolCall; reviews: GateReview[] },
): Promise<INodeExecutionData[][]> {
  // n8n 1.x signs resume URLs only after this call; 2.x always signs them and dropped the method.
  const maybe = this as IExecuteFunctions & { setSignatureValidationRequired?: () => void };
  try {
    maybe.setSignatureValidationRequired?.();
  } catch {
    // 2.x: not needed
  }
  const resumeUrl = this.getSignedResumeUrl();
  const body = buildCreateTaskBody(fields, resumeUrl, workflowAgent(this.getWorkflow()));
  const options = this.getNodeParameter('options', 0, {}) as IDataObject;
  const callId = gate?.call.toolCallId ? `-${gate.call.toolCallId}` : '';
  const task = await loopgateRequest<{ id: string }>(this, {
    method: 'POST',
    path: '/api/v1/tasks',
    body: body as unknown as IDataObject,
    // A retried node run (n8n "retry on fail") must not open a second task for the same wait.
    headers: { 'Idempotency-Key': `n8n-${this.getExecutionId()}-${this.getNode().id}${callId}` },
  });
  const until = waitTill(Date.now(), body, options.waitLimitMinutes as number | undefined);
  // If n8n's wait limit ends the wait, n8n passes these very items on without running any node
  // code, so they must already read "expired by the wait limit" (see backstopFields).
  Object.assign(item.json, backstopFields(task.id));
  if (gate) {
    item.json.chatInput = waitLimitFeedback(gate.call.tool);
    gate.reviews.push({ taskId: task.id, tool: gate.call.tool });
  }
  await this.putExecutionToWait(until);
  return [[item]];
}

/**
 * The node as an AI Agent tool's human review (n8n 2.x, type `<package>.loopgateHitlTool`, see
 * lib/tool-gate.ts): the task's payload is the tool call's arguments, whatever "Payload to Review"
 * says, so the reviewer sees exactly what would run. A call with the arguments of an earlier edited
 * approval in this execution runs without another review, once.
 */
async function reviewToolCall(this: IExecuteFunctions, item: INodeExecutionData): Promise<INodeExecutionData[][]> {
  try {
    const call = gatedToolCall(item.json);
    // Execution-scoped and saved with the waiting execution, so it survives the wait.
    const context = this.getContext('node') as { loopgateReviews?: GateReview[] };
    context.loopgateReviews ??= [];
    const reviews = context.loopgateReviews;
    for (const review of reviews) {
      if (review.used || review.tool !== call.tool) continue;
      const task = await loopgateRequest<ServerTask>(this, {
        method: 'GET',
        path: `/api/v1/tasks/${encodeURIComponent(review.taskId)}`,
      });
      if (!editedApprovalFor(review, task, call)) continue;
      review.used = true;
      const json: IDataObject = {
        approved: true,
        decision: 'approved_with_modifications',
        payload: call.parameters as IDataObject,
        taskId: task.id,
        resumedBy: 'edited_approval',
      };
      return [[{ json, pairedItem: { item: 0 } }]];
    }
    const fields = taskFieldsAt(this, 0);
    const extra = this.getNodeParameter('additionalFields', 0, {}) as IDataObject;
    const ownContext = extra.context === undefined ? {} : parseJsonParameter('Context', extra.context);
    return await createTaskAndWait.call(
      this,
      item,
      {
        ...fields,
        title: fields.title.trim() || defaultGateTitle(call),
        payload: call.parameters,
        context: {
          ...(ownContext !== null && typeof ownContext === 'object' ? ownContext : {}),
          tool: call.tool,
          toolCallId: call.toolCallId,
        },
        externalRef: fields.externalRef || defaultExternalRef(this),
      },
      { call, reviews },
    );
  } catch (error) {
    if (this.continueOnFail()) return [[{ json: errorJson(error), pairedItem: { item: 0 } }]];
    throw asNodeError(this, error, 0);
  }
}

async function runOperation(this: IExecuteFunctions, operation: string, i: number): Promise<IDataObject[]> {
  switch (operation) {
    case 'create': {
      const fields = taskFieldsAt(this, i);
      const callbackUrl = (this.getNodeParameter('callbackUrl', i, '') as string).trim();
      const body = buildCreateTaskBody(
        fields,
        callbackUrl === '' ? undefined : callbackUrl,
        workflowAgent(this.getWorkflow()),
      );
      return [
        await loopgateRequest(this, { method: 'POST', path: '/api/v1/tasks', body: body as unknown as IDataObject }),
      ];
    }
    case 'get': {
      const id = encodeURIComponent((this.getNodeParameter('taskId', i) as string).trim());
      return [await loopgateRequest(this, { method: 'GET', path: `/api/v1/tasks/${id}` })];
    }
    case 'cancel': {
      const id = encodeURIComponent((this.getNodeParameter('taskId', i) as string).trim());
      const reason = (this.getNodeParameter('reason', i, '') as string).trim();
      return [
        await loopgateRequest(this, {
          method: 'POST',
          path: `/api/v1/tasks/${id}/cancel`,
          body: reason === '' ? {} : { reason },
        }),
      ];
    }
    case 'list': {
      const returnAll = this.getNodeParameter('returnAll', i, false) as boolean;
      const limit = returnAll ? Number.POSITIVE_INFINITY : (this.getNodeParameter('limit', i, 50) as number);
      const filters = this.getNodeParameter('filters', i, {}) as IDataObject;
      const results: IDataObject[] = [];
      let cursor: string | null = null;
      do {
        const qs: IDataObject = { ...filters, limit: Math.min(200, limit - results.length) };
        if (cursor) qs.cursor = cursor;
        const page: { data: IDataObject[]; nextCursor: string | null } = await loopgateRequest(this, {
          method: 'GET',
          path: '/api/v1/tasks',
          qs,
        });
        results.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor && results.length < limit);
      return results.slice(0, limit);
    }
    default:
      throw new (n8nWorkflow().NodeOperationError)(this.getNode(), `Unknown operation "${operation}"`, {
        itemIndex: i,
      });
  }
}

function errorJson(error: unknown): IDataObject {
  const context = (error as { context?: IDataObject }).context;
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(context?.code !== undefined ? { code: context.code } : {}),
  };
}

function asNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): Error {
  const { NodeApiError, NodeOperationError } = n8nWorkflow();
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  if (error instanceof Error && (error as { context?: unknown }).context !== undefined) return error;
  return new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error), { itemIndex });
}
