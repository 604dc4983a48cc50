import type { Actor } from '@loopgate/shared';
import { can, type Principal } from '../kernel/access.js';

/**
 * Who registered a URL Loopgate calls: the task's creator for its callback, the subscriber for a REST
 * hook. null when no member did (a Slack incoming webhook, which only admins set up) or it was not
 * recorded (rows from before it was): then only admins see the URL whole.
 */
export type UrlOwner = Pick<Actor, 'type' | 'id'> | null;

/** Who looks: a principal, or 'webhook' for what the receivers of a delivery are sent. */
export type UrlViewer = Principal | 'webhook';

/**
 * The one rule for every view of a target URL (task callbacks, subscriptions, Slack webhooks, the
 * delivery log). Such URLs are credentials: an n8n resume URL or a Zapier callback resumes the
 * automation, a Slack incoming webhook posts to the channel, a REST hook URL feeds a Zap. So admins
 * and the actor that registered the URL see it whole; everyone else sees only its origin, which
 * still says where deliveries go.
 */
export function mayReadTargetUrl(viewer: UrlViewer, owner: UrlOwner): boolean {
  if (viewer === 'webhook') return false;
  if (can(viewer.role, 'workspace:admin')) return true;
  return owner !== null && owner.id !== null && owner.type === viewer.actor.type && owner.id === viewer.actor.id;
}

/** `url` as `viewer` may see it: whole, or only its origin (see {@link mayReadTargetUrl}). */
export function viewTargetUrl(viewer: UrlViewer, url: string, owner: UrlOwner): string {
  return mayReadTargetUrl(viewer, owner) ? url : urlOrigin(url);
}

/**
 * scheme://host[:port] of a URL, without user info, path or query (where the tokens are). The form
 * every text meant for anyone (attempt errors, logs) names a target URL in.
 */
export function urlOrigin(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    // Opaque origins (javascript:, data:) print as "null"; the scheme says more.
    return parsed.origin === 'null' ? parsed.protocol : parsed.origin;
  } catch {
    return '(invalid URL)';
  }
}
