import { type Role, roleSchema } from '@loopgate/shared';
import { z } from 'zod';
import { authorize, type Principal } from './access.js';
import { checkPasswordRules, insertNewUser, retryingUserCreation } from './admin-service.js';
import { type AttemptCharge, type AttemptLimiter, addressBucket, attemptsRefused, BUDGETS } from './attempt-limits.js';
import { AppError, notFound } from './errors.js';
import { newId } from './ids.js';
import type { InvitationRecord } from './invitation-ports.js';
import type { EmailMessage, Notifier } from './notifier.js';
import type { Store, WorkspaceRecord } from './ports.js';
import { plainSnippet } from './review-link-service.js';
import { hashPassword } from './secrets.js';
import { hashToken, newSession, randomToken, type SessionLogin } from './session-service.js';

/**
 * E-mail invitations: an admin invites someone by address and never handles their password. The
 * account and its membership exist from the invitation on (so the role is set and the admin sees
 * them), but with no password nobody can log in as them. The mail carries a random 256-bit token,
 * stored only as its hash, bound to the workspace and the user, that works once within 7 days;
 * inviting the same address again replaces it. Opening the link (GET) changes nothing — mail
 * scanners fetch links — the form's POST sets the password and starts a session.
 */

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface InvitationDeps {
  store: Store;
  clock: () => number;
  notifier: Notifier;
  publicUrl: string;
  /** Told of every invitation mail sent with its link (the file transport logs it, so a first run works offline). */
  onSent?: (message: EmailMessage, link: string) => void;
  /** Told why a mail could not be sent; the admin is told that it was not. */
  onSendError?: (error: unknown) => void;
}

const inviteSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email('Enter a valid e-mail address').max(254, 'E-mail addresses have at most 254 characters')),
  name: z.string().trim().max(200, 'Names have at most 200 characters').optional(),
  role: roleSchema,
});

export interface InviteResult {
  userId: string;
  email: string;
  /**
   * `invited`: the account has no password yet, and the mail carries a link to set one.
   * `added`: the account already had a password; the mail tells them where to log in.
   */
  outcome: 'invited' | 'added';
}

/**
 * Invites `email` to the admin's workspace with `role`: creates the account if the address is new,
 * adds or updates the membership, and mails a link to set a password; inviting someone who has not
 * accepted yet again sends a new link and ends the old ones. Someone who already has a password is
 * added and told where to log in: their password stays theirs (an invitation never resets one), and
 * if they are a member already the invitation is refused (their role is changed in the list).
 */
export async function inviteMember(
  deps: InvitationDeps,
  principal: Principal,
  input: { email: string; name?: string; role: Role },
): Promise<InviteResult> {
  authorize(principal, 'workspace:admin');
  const parsed = inviteSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new AppError('validation_failed', issues.map((issue) => issue.message).join('; '), issues);
  }
  const { email, role } = parsed.data;
  const name = parsed.data.name || null;
  const workspace = await deps.store.read.workspaces.findById(principal.workspaceId);
  if (!workspace) throw notFound('Workspace');
  const now = deps.clock();
  const token = randomToken();

  const result = await retryingUserCreation(() =>
    deps.store.transaction(async (tx) => {
      const existing = await tx.users.findByEmail(email);
      if (existing && existing.passwordHash !== null) {
        const membership = await tx.users.findMembership(workspace.id, existing.id);
        if (membership) {
          throw new AppError(
            'conflict',
            `${email} is already a member of this workspace (${membership.role}); change their role in the list.`,
          );
        }
      }
      const userId = existing?.id ?? newId('user', now);
      if (!existing) await insertNewUser(tx, { id: userId, email, name, passwordHash: null, createdAt: now });
      await tx.users.upsertMembership({ workspaceId: workspace.id, userId, role, createdAt: now });
      if (existing && existing.passwordHash !== null) return { userId, outcome: 'added' as const };
      await tx.invitations.revokeUnused(workspace.id, userId, now);
      const invitation: InvitationRecord = {
        tokenHash: hashToken(token),
        workspaceId: workspace.id,
        userId,
        invitedBy: principal.actor.id,
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
        usedAt: null,
        revokedAt: null,
      };
      await tx.invitations.insert(invitation);
      return { userId, outcome: 'invited' as const, expiresAt: invitation.expiresAt };
    }),
  );

  const base = deps.publicUrl.replace(/\/+$/, '');
  const inviter = principal.actor.name ?? 'An admin';
  const link = result.outcome === 'invited' ? `${base}/invite/${token}` : `${base}/login`;
  const message =
    result.outcome === 'invited'
      ? invitationMail({ to: email, inviter, workspace, role, link, expiresAt: result.expiresAt })
      : addedMail({ to: email, inviter, workspace, role, link });
  try {
    await deps.notifier.send(message);
  } catch (error) {
    deps.onSendError?.(error);
    const retry =
      result.outcome === 'invited'
        ? 'Check the mail setup, then invite them again: that sends a new link.'
        : 'They are a member now; tell them yourself.';
    throw new AppError('service_unavailable', `The e-mail to ${email} could not be sent. ${retry}`);
  }
  deps.onSent?.(message, link);
  return { userId: result.userId, email, outcome: result.outcome };
}

function oneLine(value: string, max: number): string {
  return plainSnippet(value, max).replace(/\s+/g, ' ').trim();
}

/** Plain text only, like review mails: names an admin typed cannot become markup or a disguised link. */
function invitationMail(input: {
  to: string;
  inviter: string;
  workspace: WorkspaceRecord;
  role: Role;
  link: string;
  expiresAt: number;
}): EmailMessage {
  const inviter = oneLine(input.inviter, 200);
  const workspace = oneLine(input.workspace.name, 200);
  const lines = [
    `${inviter} invited you to the Loopgate workspace "${workspace}" (${input.workspace.slug}) as ${input.role}.`,
    '',
    'Choose your password to accept:',
    '',
    `  ${input.link}`,
    '',
    `The link works once and expires on ${new Date(input.expiresAt).toISOString()}.`,
    'Opening it changes nothing until you choose a password; then you are',
    'logged in. If you did not expect this mail, ignore it: nobody can log in',
    'to the account until a password is chosen through this link. Do not',
    'forward this mail: whoever has the link can choose the password.',
  ];
  return {
    to: [input.to],
    subject: `[Loopgate] ${inviter} invited you to ${workspace}`,
    text: `${lines.join('\n')}\n`,
  };
}

function addedMail(input: {
  to: string;
  inviter: string;
  workspace: WorkspaceRecord;
  role: Role;
  link: string;
}): EmailMessage {
  const inviter = oneLine(input.inviter, 200);
  const workspace = oneLine(input.workspace.name, 200);
  const lines = [
    `${inviter} added you to the Loopgate workspace "${workspace}" (${input.workspace.slug}) as ${input.role}.`,
    '',
    `Log in with your existing password at ${input.link}`,
    `and enter "${input.workspace.slug}" as the workspace.`,
  ];
  return {
    to: [input.to],
    subject: `[Loopgate] ${inviter} added you to ${workspace}`,
    text: `${lines.join('\n')}\n`,
  };
}

export interface OpenedInvitation {
  email: string;
  name: string | null;
  role: Role;
  workspace: { slug: string; name: string };
  expiresAt: number;
}

interface ValidInvitation {
  invitation: InvitationRecord;
  opened: OpenedInvitation;
}

const INVALID = 'This invitation link is not valid. It may have been mistyped or cut off.';

const invalid = (detail: string) => new AppError('invitation_invalid', detail);

async function findValid(deps: Pick<InvitationDeps, 'store' | 'clock'>, token: string): Promise<ValidInvitation> {
  if (!/^[\w-]{20,100}$/.test(token)) throw invalid(INVALID);
  const invitation = await deps.store.read.invitations.findByHash(hashToken(token));
  if (!invitation) throw invalid(INVALID);
  if (invitation.usedAt !== null) {
    throw invalid('This invitation has already been accepted. Each link works once; log in with your password.');
  }
  if (invitation.revokedAt !== null) {
    throw invalid('A newer invitation was sent to this address; use the link in the most recent e-mail.');
  }
  if (invitation.expiresAt <= deps.clock()) {
    throw invalid(
      `This invitation expired on ${new Date(invitation.expiresAt).toISOString()}. Ask an admin to invite you again.`,
    );
  }
  const [user, membership, workspace] = await Promise.all([
    deps.store.read.users.findById(invitation.userId),
    deps.store.read.users.findMembership(invitation.workspaceId, invitation.userId),
    deps.store.read.workspaces.findById(invitation.workspaceId),
  ]);
  if (!user || !membership || !workspace) {
    throw invalid('This invitation no longer applies: the account is not a member of the workspace any more.');
  }
  if (user.passwordHash !== null) {
    throw invalid('Your account already has a password; log in with it.');
  }
  return {
    invitation,
    opened: {
      email: user.email,
      name: user.name,
      role: membership.role as Role,
      workspace: { slug: workspace.slug, name: workspace.name },
      expiresAt: invitation.expiresAt,
    },
  };
}

/** Reads an invitation without using it (the GET page): says plainly why a link no longer works. */
export async function openInvitation(
  deps: Pick<InvitationDeps, 'store' | 'clock'>,
  token: string,
): Promise<OpenedInvitation> {
  return (await findValid(deps, token)).opened;
}

export interface AcceptDeps {
  store: Store;
  clock: () => number;
  limiter: AttemptLimiter;
}

/**
 * The POST behind an invitation link: sets the password (same rules and hashing as every other
 * password), uses the invitation and starts a session, all in one transaction. Using it is a
 * compare-and-set, as is setting the first password, so of two concurrent accepts exactly one wins
 * and the other changes nothing. Refused attempts count against the token with the client address, and
 * against the address (the budget failed logins spend too), so guessing tokens is bounded as well.
 */
export async function acceptInvitation(
  deps: AcceptDeps,
  token: string,
  password: string,
  clientAddress: string,
): Promise<SessionLogin> {
  const address = addressBucket(clientAddress);
  const pair: AttemptCharge = { budget: BUDGETS.invitationTokenAddress, key: `${hashToken(token)}\u0000${address}` };
  const wide: AttemptCharge[] = [{ budget: BUDGETS.failuresPerAddress, key: address }];
  const verdict = await deps.limiter.take([...wide, pair]);
  if (!verdict.allowed) {
    throw attemptsRefused(
      verdict,
      verdict.budget === BUDGETS.failuresPerAddress
        ? 'Too many failed attempts from your network'
        : 'Too many attempts with this link',
    );
  }
  try {
    const { invitation } = await findValid(deps, token);
    checkPasswordRules(password);
    const passwordHash = await hashPassword(password);
    const now = deps.clock();
    const login = await deps.store.transaction(async (tx) => {
      if (!(await tx.invitations.use(invitation.tokenHash, now))) return null;
      if (!(await tx.users.setFirstPassword(invitation.userId, passwordHash))) {
        throw invalid('Your account already has a password; log in with it.');
      }
      const started = newSession(invitation.userId, invitation.workspaceId, now);
      await tx.sessions.insert(started.session);
      return started;
    });
    if (!login) {
      // Lost the race (or the link expired meanwhile): say why, as the page would now.
      await findValid(deps, token);
      throw invalid('This invitation has already been accepted. Each link works once; log in with your password.');
    }
    await Promise.all([deps.limiter.refund(wide), deps.limiter.forget([pair])]);
    return login;
  } catch (error) {
    // Only a refusal counts; our own failure gives the attempt back.
    if (!(error instanceof AppError && error.status < 500)) await deps.limiter.refund([...wide, pair]);
    throw error;
  }
}
