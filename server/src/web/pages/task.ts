import { type DecisionAction, isFinalStatus, revokeInputSchema } from '@loopgate/shared';
import type { Response, Router } from 'express';
import { z } from 'zod';
import { claimTask, escalateTask, releaseTask } from '../../domain/approvals/claims.js';
import { decisionOptions } from '../../domain/approvals/decision-options.js';
import { grantIdOf, grantOptionFor, grantsFromTask, revokeGrant } from '../../domain/approvals/grants.js';
import { fieldChanges } from '../../domain/approvals/payload-diff.js';
import { rejectReasonsForTask } from '../../domain/approvals/queues.js';
import { decideTask } from '../../domain/approvals/vote.js';
import { listDeliveries, redeliver } from '../../domain/delivery/deliveries.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { iso } from '../../domain/kernel/iso-time.js';
import {
  BOARD_STAGES,
  cardStateOf,
  moveAction,
  movesFrom,
  stageOf,
  stageTitles,
} from '../../domain/reviewers/board.js';
import { nextTaskFor } from '../../domain/reviewers/next-task.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { getTask, listTaskEvents } from '../../domain/tasks/read-tasks.js';
import { DEFAULT_REVOKE_WINDOW_MS, isRevocable, revokeRefusal, revokeTask } from '../../domain/tasks/revoke-task.js';
import type { TaskRecord } from '../../domain/tasks/task-record.js';
import { toAppError } from '../../http-common/problem.js';
import { readDecisionForm, type Typed } from '../kit/decision-form.js';
import { optionalFormText, readForm } from '../kit/forms.js';
import { toGrantRow } from '../kit/grant-rows.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import {
  type ApprovedByGrant,
  type DecisionPreview,
  type DoneView,
  decisionChangesOf,
  decisionDiffOf,
  fieldViews,
  type GrantOptionView,
  panelAccess,
  type RevokeView,
  responseFieldViews,
  signedIn,
  taskSummaryView,
} from '../kit/view-models.js';

/** The most recent deliveries the task page lists; the API pages through all of them. */
const TASK_PAGE_DELIVERIES = 20;

/** Every decision the task page offers; what this viewer may take is decisionOptions' answer. */
const ALL_ACTIONS: DecisionAction[] = ['approve', 'approve_with_modifications', 'reject'];

/** Opens the most urgent task the signed-in reviewer can decide. */
const NEXT_TASK_HREF = '/tasks/next';

const revokeGrantForm = z.object({ reason: optionalFormText });

/** The approve form offers a day at most by default, fewer where the queue allows fewer. */
const SUGGESTED_GRANT_HOURS = 8;

const moveForm = z.object({ to: z.enum(BOARD_STAGES, { error: `Move to one of: ${BOARD_STAGES.join(', ')}` }) });

/** The task page and what is done to a task from the pages: decide, redeliver, move and claim (the board's). */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendTask(
    res: Response,
    web: SessionPrincipal,
    task: TaskRecord,
    {
      typed,
      revoking,
      ...extra
    }: {
      error?: string;
      edited?: string;
      comment?: string;
      preview?: DecisionPreview;
      done?: DoneView;
      typed?: Typed;
      revoking?: { reason: string; error: string };
    } = {},
    status = 200,
  ) {
    const [events, { deliveries }, options, rejectReasons, grants] = await Promise.all([
      listTaskEvents(deps, web.principal, task.id),
      listDeliveries(deps, web.principal, { taskId: task.id, limit: TASK_PAGE_DELIVERIES }),
      decisionOptions(deps, web.principal, task),
      rejectReasonsForTask(deps, task),
      grantsFromTask(deps, web.principal, task.id),
    ]);
    const now = deps.clock();
    const taskPath = `/tasks/${encodeURIComponent(task.id)}`;
    kit.send(
      res,
      TEMPLATES.task,
      {
        ...taskSummaryView(task, options, deps.clock()),
        ...signedIn(web),
        ...panelAccess(ALL_ACTIONS, options),
        events,
        deliveries,
        canRedeliver: can(web.principal.role, 'workspace:admin'),
        revoke: revokeViewOf(web, task, revoking),
        decisionDiff: decisionDiffOf(task),
        decisionChanges: decisionChangesOf(task),
        fields: fieldViews(task, typed),
        responseFields: responseFieldViews(task, typed),
        rejectReasons,
        formAction: `${taskPath}/decide`,
        backHref: taskPath,
        nextHref: NEXT_TASK_HREF,
        done: extra.done ?? null,
        grants: grants.map((grant) =>
          toGrantRow(grant, web.principal, now, (id) => `${taskPath}/grants/${encodeURIComponent(id)}/revoke`),
        ),
        approvedByGrant: await approvedByGrantOf(task),
        grantOption: isFinalStatus(task.status) ? null : await grantOptionOf(task),
        ...extra,
      },
      status,
    );
  }

  async function grantOptionOf(task: TaskRecord): Promise<GrantOptionView> {
    const { disabledReason, maxHours } = await grantOptionFor(deps, task);
    return {
      disabledReason,
      agentId: task.agent?.id ?? null,
      maxHours,
      hours: Math.min(SUGGESTED_GRANT_HOURS, maxHours),
    };
  }

  async function approvedByGrantOf(task: TaskRecord): Promise<ApprovedByGrant | null> {
    const grantId = task.decision ? grantIdOf(task.decision.decidedBy) : null;
    const grant = grantId ? await deps.store.read.grants.findById(task.workspaceId, grantId) : null;
    if (!grant) return null;
    const by = grant.createdBy.name ?? grant.createdBy.id ?? grant.createdBy.type;
    return { grantId: grant.id, by, fromTaskId: grant.fromTaskId, until: iso(grant.expiresAt) };
  }

  /** An admin on an approved task gets the Revoke form, disabled with the reason once the window has closed. */
  function revokeViewOf(
    web: SessionPrincipal,
    task: TaskRecord,
    revoking: { reason: string; error: string } | undefined,
  ): RevokeView | null {
    if (!can(web.principal.role, 'workspace:admin')) return null;
    if (!isRevocable(task.status)) return null;
    const refusal = revokeRefusal(task, deps.clock(), deps.revokeWindowMs ?? DEFAULT_REVOKE_WINDOW_MS);
    return { blockedReason: refusal?.message ?? null, reason: revoking?.reason ?? '', error: revoking?.error ?? null };
  }

  /** "Approved with 2 changes", "Rejected: <reason>": what this viewer's own vote was, and what it did. */
  async function doneOf(web: SessionPrincipal, task: TaskRecord): Promise<DoneView | undefined> {
    const { ownVote } = await decisionOptions(deps, web.principal, task);
    if (!ownVote) return undefined;
    const changes = ownVote.modifiedPayload === null ? 0 : fieldChanges(task.payload, ownVote.modifiedPayload).length;
    const what =
      ownVote.action === 'reject'
        ? `Rejected: ${ownVote.comment ?? 'no reason given'}`
        : changes > 0
          ? `Approved with ${changes} change${changes === 1 ? '' : 's'}`
          : 'Approved';
    const after = isFinalStatus(task.status)
      ? `The task is now ${task.status.replace(/_/g, ' ')}.`
      : 'Your vote is recorded; the task waits for the other reviewers.';
    return { text: `${what}. ${after}`, kind: 'ok' };
  }

  // Before /tasks/:id, which would take "next" for an id.
  router.get(
    NEXT_TASK_HREF,
    kit.page(async (_req, res, web) => {
      const next = await nextTaskFor(deps, web.principal);
      if (next) {
        res.redirect(303, `/tasks/${encodeURIComponent(next.id)}`);
        return;
      }
      kit.send(res, TEMPLATES.message, {
        heading: 'Nothing waiting for you',
        text: 'No open task is waiting for your decision right now.',
        kind: 'info',
        ...signedIn(web),
        link: { href: '/board', label: 'Back to the board' },
      });
    }),
  );

  router.get(
    '/tasks/:id',
    kit.page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const done = req.query.decided === '1' ? await doneOf(web, task) : undefined;
      await sendTask(res, web, task, { done });
    }),
  );

  router.post(
    '/tasks/:id/decide',
    kit.form,
    kit.page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const rejectReasons = await rejectReasonsForTask(deps, task);
      const decision = readDecisionForm(task, req.body, { rejectReasons });
      if (decision.kind === 'panel') {
        const { edited, comment } = decision.typed;
        await sendTask(
          res,
          web,
          task,
          { error: decision.error, edited, comment, typed: decision.typed },
          decision.status,
        );
        return;
      }
      if (decision.kind === 'preview') {
        await sendTask(res, web, task, { preview: decision.preview, error: decision.error }, decision.status);
        return;
      }
      try {
        await decideTask(deps, web.principal, task.id, decision.input);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error') throw error;
        const now = await getTask(deps, web.principal, task.id);
        // Refused by the domain (claimed meanwhile, already decided…): show why, keep what was typed.
        const kept = readDecisionForm(task, { ...req.body, action: 'edit' }, { rejectReasons });
        const typed = kept.kind === 'panel' ? kept.typed : { comment: '' };
        await sendTask(res, web, now, { error: appError.message, ...typed, typed }, appError.status);
        return;
      }
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}?decided=1`);
    }),
  );

  router.post(
    '/tasks/:id/deliveries/:deliveryId/redeliver',
    kit.form,
    kit.page(async (req, res, web) => {
      const taskId = String(req.params.id);
      await redeliver({ ...deps, kick: deps.kickDeliveries }, web.principal, String(req.params.deliveryId), { taskId });
      res.redirect(303, `/tasks/${encodeURIComponent(taskId)}#deliveries`);
    }),
  );

  // Revoke an approval (admins, within the window): the same use case as POST /api/v1/tasks/{id}/revoke.
  // A refusal shows on the page with the reason as typed, so nothing is lost.
  router.post(
    '/tasks/:id/revoke',
    kit.form,
    kit.page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const reason = typeof req.body?.reason === 'string' ? req.body.reason : '';
      const parsed = revokeInputSchema.safeParse({ reason });
      if (!parsed.success) {
        await sendTask(res, web, task, { revoking: { reason, error: 'Say why the approval is revoked.' } }, 400);
        return;
      }
      try {
        await revokeTask(deps, web.principal, task.id, parsed.data);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error') throw error;
        const now = await getTask(deps, web.principal, task.id);
        await sendTask(res, web, now, { revoking: { reason, error: appError.message } }, appError.status);
        return;
      }
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}`);
    }),
  );

  // Revoke a standing approval this task's approval gave: the same use case as POST /api/v1/grants/{id}/revoke.
  router.post(
    '/tasks/:id/grants/:grantId/revoke',
    kit.form,
    kit.page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const { reason } = readForm(revokeGrantForm, req.body);
      try {
        await revokeGrant(deps, web.principal, String(req.params.grantId), reason ?? null);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error') throw error;
        await sendTask(res, web, task, { error: appError.message }, appError.status);
        return;
      }
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}#grants`);
    }),
  );

  // Drag and drop on the board. The server decides what the move means from the task as it is now,
  // not from the column the browser saw, so a stale board cannot make a move the rules forbid.
  router.post(
    '/tasks/:id/move',
    kit.form,
    kit.page(async (req, res, web) => {
      const { to } = readForm(moveForm, req.body);
      const task = await getTask(deps, web.principal, String(req.params.id));
      const state = cardStateOf(task);
      const from = stageOf(state);
      const allowed = movesFrom(state);
      if (!allowed.includes(to)) {
        const titles = await stageTitles(deps, web.principal);
        const options = allowed.map((stage) => titles[stage]).join(' or ');
        throw new AppError(
          'validation_failed',
          `A task in ${titles[from]} cannot be moved to ${titles[to]}${
            options ? `; it can go to ${options}` : ''
          }${to === 'completed' ? '. Decide it on its page to complete it.' : '.'}`,
        );
      }
      const action = moveAction(to);
      const after =
        action === 'claim'
          ? await claimTask(deps, web.principal, task.id)
          : action === 'release'
            ? await releaseTask(deps, web.principal, task.id)
            : await escalateTask(deps, web.principal, task.id, undefined);
      const stage = stageOf(cardStateOf(after));
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: after.id, action, stage });
        return;
      }
      res.redirect(303, '/board');
    }),
  );

  router.post(
    '/tasks/:id/claim',
    kit.form,
    kit.page(async (req, res, web) => {
      const task = await claimTask(deps, web.principal, String(req.params.id));
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: task.id, assignee: task.workflow?.assignee ?? null, claimed: true });
        return;
      }
      res.redirect(303, '/board');
    }),
  );
}
