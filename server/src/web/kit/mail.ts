import { type ReviewMailView, unlinkable } from '../../domain/reviewers/review-mail.js';
import { render } from './render.js';
import { TEMPLATES } from './templates.js';

/**
 * The HTML part of a review mail. Escaping is the template engine's (`<%= %>`, the one output tag the
 * template uses for data); before that, every agent-written string is made unlinkable, so a client
 * cannot turn "https://…" in a title or payload into a link. Only the three buttons are links, and
 * their addresses are ours.
 */
export function renderReviewMailHtml(view: ReviewMailView): string {
  const payload: ReviewMailView['payload'] =
    view.payload.mode === 'full'
      ? { mode: 'full', text: unlinkable(view.payload.text) }
      : view.payload.mode === 'summary'
        ? { mode: 'summary', keys: view.payload.keys.map(unlinkable) }
        : view.payload;
  return render(TEMPLATES.reviewMail, {
    ...view,
    title: unlinkable(view.title),
    queue: unlinkable(view.queue),
    why: unlinkable(view.why),
    payload,
  });
}
