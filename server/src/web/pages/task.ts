import { isFinalStatus } from '@loopgate/shared';
import type { Response, Router } from 'express';
import { z } from 'zod';
import { claimTask, escalateTask, releaseTask } from '../../domain/approvals/claims.js';
import { decideTask } from '../../domain/approvals/vote.js';
import { listDeliveries, redeliver } from '../../domain/delivery/deliveries.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import {
  BOARD_STAGES,
  cardStateOf,
  moveAction,
  movesFrom,
  STAGE_TITLES,
  stageOf,
} from '../../domain/reviewers/board.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { getTask, listTaskEvents } from '../../domain/tasks/read-tasks.js';
import type { TaskRecord } from '../../domain/tasks/task-record.js';
import { toAppError } from '../../http-common/problem.js';
import { readDecisionForm } from '../kit/decision-form.js';
import { readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { decisionDiffOf, signedIn, type TaskView, taskSummaryView } from '../kit/view-models.js';

/** The most recent deliveries the task page lists; the API pages through all of them. */
const TASK_PAGE_DELIVERIES = 20;

const moveForm = z.object({ to: z.enum(BOARD_STAGES, { error: `Move to one of: ${BOARD_STAGES.join(', ')}` }) });

/** The task page and what is done to a task from the pages: decide, redeliver, move and claim (the board's). */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendTask(
    res: Response,
    web: SessionPrincipal,
    task: TaskRecord,
    extra: Pick<TaskView, 'error' | 'edited' | 'preview'> = {},
    status = 200,
  ) {
    const [events, { deliveries }] = await Promise.all([
      listTaskEvents(deps, web.principal, task.id),
      listDeliveries(deps, web.principal, { taskId: task.id, limit: TASK_PAGE_DELIVERIES }),
    ]);
    const taskPath = `/tasks/${encodeURIComponent(task.id)}`;
    kit.send(
      res,
      TEMPLATES.task,
      {
        ...taskSummaryView(task),
        ...signedIn(web),
        events,
        deliveries,
        canRedeliver: can(web.principal.role, 'workspace:admin'),
        decisionDiff: decisionDiffOf(task),
        canDecide: can(web.principal.role, 'task:decide') && !isFinalStatus(task.status),
        allowed: ['approve', 'reject', 'approve_with_modifications'],
        formAction: `${taskPath}/decide`,
        backHref: taskPath,
        ...extra,
      },
      status,
    );
  }

  router.get(
    '/tasks/:id',
    kit.page(async (req, res, web) => {
      await sendTask(res, web, await getTask(deps, web.principal, String(req.params.id)));
    }),
  );

  router.post(
    '/tasks/:id/decide',
    kit.form,
    kit.page(async (req, res, web) => {
      const task = await getTask(deps, web.principal, String(req.params.id));
      const decision = readDecisionForm(task, req.body);
      if (decision.kind === 'invalid') {
        await sendTask(res, web, task, { error: decision.error, edited: decision.edited }, 400);
        return;
      }
      if (decision.kind === 'preview') {
        await sendTask(res, web, task, { preview: decision.preview });
        return;
      }
      try {
        await decideTask(deps, web.principal, task.id, decision.input);
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code === 'internal_error') throw error;
        const now = await getTask(deps, web.principal, task.id);
        await sendTask(res, web, now, { error: appError.message }, appError.status);
        return;
      }
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}`);
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
        const options = allowed.map((stage) => STAGE_TITLES[stage]).join(' or ');
        throw new AppError(
          'validation_failed',
          `A task in ${STAGE_TITLES[from]} cannot be moved to ${STAGE_TITLES[to]}${
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
