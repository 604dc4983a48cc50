import { type DecisionAction, type DecisionInput, isFinalStatus } from '@loopgate/shared';
import type { Response, Router } from 'express';
import { decisionOptions } from '../../domain/approvals/decision-options.js';
import { fieldChanges } from '../../domain/approvals/payload-diff.js';
import { rejectReasonsForTask } from '../../domain/approvals/queues.js';
import { AppError } from '../../domain/kernel/errors.js';
import { decideByReviewLink, linkAllows, openReviewLink } from '../../domain/reviewers/review-links.js';
import type { ReviewLinkAction } from '../../domain/reviewers/reviewer-ports.js';
import type { JsonValue } from '../../domain/tasks/task-record.js';
import { readDecisionForm, type Typed } from '../kit/decision-form.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import {
  type DecisionPreview,
  fieldViews,
  panelAccess,
  responseFieldViews,
  taskSummaryView,
} from '../kit/view-models.js';

/** What each e-mailed link lets its reviewer do: one button, or the whole panel for "Review & modify". */
const DECISION_ACTIONS_BY_LINK: Record<ReviewLinkAction, DecisionAction[]> = {
  approve: ['approve'],
  reject: ['reject'],
  modify: ['approve', 'reject', 'approve_with_modifications'],
};

/** E-mail links: no login; the token is the credential. GET shows, POST decides. */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendReview(
    res: Response,
    token: string,
    {
      typed,
      ...extra
    }: { error?: string; edited?: string; comment?: string; preview?: DecisionPreview; typed?: Typed } = {},
    status = 200,
  ) {
    const opened = await openReviewLink(deps, token);
    const href = `/review/${encodeURIComponent(token)}`;
    const [options, rejectReasons] = await Promise.all([
      decisionOptions(deps, opened.principal, opened.task),
      rejectReasonsForTask(deps, opened.task),
    ]);
    kit.send(
      res,
      TEMPLATES.review,
      {
        ...taskSummaryView(opened.task, options, deps.clock()),
        ...panelAccess(DECISION_ACTIONS_BY_LINK[opened.link.action], options),
        reviewer: opened.link.email,
        guest: opened.guest,
        fields: fieldViews(opened.task, typed),
        responseFields: responseFieldViews(opened.task, typed),
        rejectReasons,
        formAction: href,
        backHref: href,
        ...extra,
      },
      status,
    );
  }

  router.get('/review/:token', async (req, res) => {
    try {
      // Scanners and previews fetch this; it only reads. The token in the URL never leaves as a Referer to
      // another site, while the form's POST keeps a real Origin (no-referrer would make it "null").
      res.setHeader('Referrer-Policy', 'same-origin');
      await sendReview(res, String(req.params.token));
    } catch (error) {
      kit.fail(req, res, error, null);
    }
  });

  router.post('/review/:token', kit.sameOrigin, kit.form, async (req, res) => {
    const token = String(req.params.token);
    try {
      const opened = await openReviewLink(deps, token);
      const rejectReasons = await rejectReasonsForTask(deps, opened.task);
      const decision = readDecisionForm(opened.task, req.body, { rejectReasons });
      const action = (req.body as { action?: unknown } | undefined)?.action;
      if (typeof action === 'string' && action !== 'edit' && !linkAllows(opened.link, action)) {
        throw new AppError(
          'forbidden',
          `This link can only ${opened.link.action}; use the review link to do something else.`,
        );
      }
      if (decision.kind === 'panel') {
        const { edited, comment } = decision.typed;
        await sendReview(
          res,
          token,
          { error: decision.error, edited, comment, typed: decision.typed },
          decision.status,
        );
        return;
      }
      if (decision.kind === 'preview') {
        await sendReview(res, token, { preview: decision.preview, error: decision.error }, decision.status);
        return;
      }
      const after = await decideByReviewLink(deps, token, decision.input);
      const outcome = isFinalStatus(after.status)
        ? `The task is now ${after.status.replace(/_/g, ' ')}.`
        : 'Your vote is recorded; the task waits for the other reviewers.';
      kit.send(res, TEMPLATES.message, {
        heading: decidedHeading(opened.task.payload, decision.input),
        text: `Thank you, your decision was recorded. ${outcome}`,
        kind: 'ok',
        // Opens the most urgent task this reviewer can decide (after logging in, when they are not);
        // a guest has no account and no other task to go to.
        link: opened.guest ? null : { href: '/tasks/next', label: 'Next task' },
      });
    } catch (error) {
      kit.fail(req, res, error, null);
    }
  });
}

/** "Approved", "Approved with 2 changes", "Rejected: <reason>". */
function decidedHeading(original: JsonValue, input: DecisionInput): string {
  if (input.action === 'reject') return `Rejected: ${input.comment ?? 'no reason given'}`;
  if (input.action === 'approve') return 'Approved';
  const count = fieldChanges(original, input.modifiedPayload as JsonValue).length;
  return `Approved with ${count} change${count === 1 ? '' : 's'}`;
}
