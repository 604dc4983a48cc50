import {
  type Actor,
  EXTERNAL_REVIEWERS_SETTINGS_API,
  EXTERNAL_REVIEWERS_SETTINGS_PAGE,
  type FieldError,
  type QueueConfig,
} from '@loopgate/shared';
import { levelOf } from '../approvals/workflow.js';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { hashToken } from '../kernel/secrets.js';
import type { Repositories } from '../store.js';

/**
 * External (guest) reviewers: people a task may name as reviewers without their being members of
 * the workspace, when the workspace's allowlist names their address or domain (off by default). A
 * guest gets the same single-use review links a member gets and decides through them as the actor
 * `guest:<address>`; a guest never has an account, a session or any page but their link's. Where a
 * guest's decision counts is the queue's call: a level takes it only with `allowGuests: true`.
 */

interface SettingsDeps {
  store: { read: Repositories; transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> };
  clock: () => number;
}

/** A plain address check: one `@`, no spaces, a dot in the domain — the same shape task input's z.email() takes. */
const ADDRESS = /^[^\s@]+@([a-z0-9-]+\.)+[a-z0-9-]{2,}$/;
const DOMAIN = /^@([a-z0-9-]+\.)+[a-z0-9-]{2,}$/;

/**
 * Checks each entry (every bad one named by its index, nothing saved unless all are good) and gives
 * them lower-cased, trimmed and without repeats: `ann@partner.example` or `@partner.example`.
 */
export function parseExternalReviewerEntries(values: readonly string[]): string[] {
  const problems: FieldError[] = [];
  const out: string[] = [];
  values.forEach((value, index) => {
    const entry = value.trim().toLowerCase();
    if (entry === '') return;
    if (ADDRESS.test(entry) || DOMAIN.test(entry)) out.push(entry);
    else
      problems.push({
        path: `allow.${index}`,
        message: `"${value.slice(0, 80)}" is neither an e-mail address (ann@partner.example) nor a domain written with its @ (@partner.example)`,
      });
  });
  if (problems.length > 0) {
    throw new AppError('validation_failed', 'Each external reviewer entry must be an address or an @domain', problems);
  }
  return [...new Set(out)];
}

/** True when the allowlist names this address, or its domain exactly (`@partner.example`, not sub.partner.example). */
export function allowsExternalReviewer(allow: readonly string[], email: string): boolean {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  return allow.includes(address) || (at > 0 && allow.includes(address.slice(at)));
}

/** The actor a guest decides as: `guest:<address>` in the ledger, votes and webhooks. */
export function guestActor(email: string): Actor {
  const address = email.trim().toLowerCase();
  return { type: 'guest', id: address, name: address };
}

/**
 * What a guest's review links carry where a member's carry their user id: a key derived from the
 * address (an address does not fit the column, and is not an id), so each guest has one link set
 * per task, level and action like everyone else.
 */
export function guestLinkKey(email: string): string {
  return `guest_${hashToken(email.trim().toLowerCase()).slice(0, 32)}`;
}

export function isGuestLinkKey(userId: string): boolean {
  return userId.startsWith('guest_');
}

/** How to allow someone, for every message that refuses a non-member. */
export const HOW_TO_ALLOW = `An admin can allow them under Settings → External reviewers (${EXTERNAL_REVIEWERS_SETTINGS_PAGE}) or with POST ${EXTERNAL_REVIEWERS_SETTINGS_API} {"allow": ["ann@partner.example", "@partner.example"]}, the workspace setting externalReviewers.`;

/** The named reviewers of a new task, sorted: members as today, guests the allowlist lets in. */
export interface NamedReviewers {
  members: string[];
  guests: string[];
}

/**
 * Sorts the addresses a new task names. A non-member the allowlist does not name is refused with
 * `reviewer_not_member`, naming every such address and how to allow them (before, they were stored
 * and silently mailed nothing). Guests are refused too when the queue's first level does not take
 * their decisions (`allowGuests`): they would get a link that cannot decide, so nothing is ignored
 * quietly. Reads only; the caller writes nothing when this throws.
 */
export async function sortNamedReviewers(
  repos: Pick<Repositories, 'users' | 'workspaces'>,
  workspaceId: string,
  emails: readonly string[],
  firstLevel: () => Promise<{ config: QueueConfig; queue: string }>,
): Promise<NamedReviewers> {
  const members: string[] = [];
  const outsiders: string[] = [];
  for (const email of emails) {
    // Accounts are stored by their lower-cased address (as task_reviewers are).
    const address = email.trim().toLowerCase();
    const user = await repos.users.findByEmail(address);
    const membership = user ? await repos.users.findMembership(workspaceId, user.id) : null;
    if (membership) members.push(address);
    else outsiders.push(address);
  }
  if (outsiders.length === 0) return { members, guests: [] };
  const allow = await repos.workspaces.findExternalReviewers(workspaceId);
  const refused = outsiders.filter((email) => !allowsExternalReviewer(allow, email));
  if (refused.length > 0) {
    const list = refused.map((email) => email.slice(0, 100)).join(', ');
    throw new AppError(
      'reviewer_not_member',
      `${refused.length === 1 ? 'This reviewer is not a member' : 'These reviewers are not members'} of the workspace${
        allow.length === 0 ? ', and external reviewers are off' : ' and not on its external reviewers allowlist'
      }: ${list}. ${HOW_TO_ALLOW}`,
      refused.map((email) => ({
        path: `reviewers.${emails.findIndex((e) => e.trim().toLowerCase() === email)}`,
        message: `${email.slice(0, 100)} is not a member`,
      })),
    );
  }
  const { config, queue } = await firstLevel();
  const level = levelOf(config, 1);
  if (level.allowGuests !== true) {
    throw new AppError(
      'validation_failed',
      `Queue "${queue}" does not take external reviewers' decisions at its first level (${level.name}): set allowGuests: true on that level, or name members only`,
      [{ path: 'reviewers', message: `level 1 (${level.name}) of queue "${queue}" does not have allowGuests: true` }],
    );
  }
  return { members, guests: outsiders };
}

/** The allowlist, for an admin. */
export async function getExternalReviewers(deps: Pick<SettingsDeps, 'store'>, principal: Principal) {
  authorize(principal, 'workspace:admin');
  return { allow: await deps.store.read.workspaces.findExternalReviewers(principal.workspaceId) };
}

/**
 * Replaces the allowlist, with an audit entry of what changed (from → to) in the same transaction;
 * a save that changes nothing writes nothing. Links already mailed to guests stop working as soon as
 * their address leaves the list (the link checks it when opened).
 */
export async function updateExternalReviewers(
  deps: SettingsDeps,
  principal: Principal,
  input: { allow: readonly string[] },
  requestId: string | null = null,
): Promise<{ allow: string[] }> {
  authorize(principal, 'workspace:admin');
  const allow = parseExternalReviewerEntries(input.allow);
  const { workspaceId } = principal;
  await deps.store.transaction(async (tx) => {
    const before = await tx.workspaces.findExternalReviewers(workspaceId);
    if (JSON.stringify(before) === JSON.stringify(allow)) return;
    if (!(await tx.workspaces.setExternalReviewers(workspaceId, allow))) throw notFound('The workspace');
    await recordAudit(tx, {
      workspaceId,
      at: deps.clock(),
      actor: auditActorOf(principal),
      action: 'workspace.external_reviewers_changed',
      target: { type: 'workspace', id: workspaceId },
      data: { from: before, to: allow },
      requestId,
    });
  });
  return { allow };
}
