import { type DecisionAction, isFinalStatus } from '@loopgate/shared';
import type { Response, Router } from 'express';
import { decideByReviewLink, openReviewLink } from '../../domain/reviewers/review-links.js';
import type { ReviewLinkAction } from '../../domain/reviewers/reviewer-ports.js';
import { readDecisionForm } from '../kit/decision-form.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type ReviewView, taskSummaryView } from '../kit/view-models.js';

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
    extra: Pick<ReviewView, 'error' | 'edited' | 'preview'> = {},
    status = 200,
  ) {
    const opened = await openReviewLink(deps, token);
    const href = `/review/${encodeURIComponent(token)}`;
    kit.send(
      res,
      TEMPLATES.review,
      {
        ...taskSummaryView(opened.task),
        reviewer: opened.link.email,
        allowed: DECISION_ACTIONS_BY_LINK[opened.link.action],
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
      const decision = readDecisionForm(opened.task, req.body);
      if (decision.kind === 'invalid') {
        await sendReview(res, token, { error: decision.error, edited: decision.edited }, 400);
        return;
      }
      if (decision.kind === 'preview') {
        await sendReview(res, token, { preview: decision.preview });
        return;
      }
      const after = await decideByReviewLink(deps, token, decision.input);
      const outcome = isFinalStatus(after.status)
        ? `The task is now ${after.status.replace(/_/g, ' ')}.`
        : 'Your vote is recorded; the task waits for the other reviewers.';
      kit.send(res, TEMPLATES.message, {
        heading: 'Thank you',
        text: `Your decision was recorded. ${outcome}`,
        kind: 'ok',
      });
    } catch (error) {
      kit.fail(req, res, error, null);
    }
  });
}
