import { type Role, roleSchema } from '@loopgate/shared';
import { z } from 'zod';
import type { WorkspaceRecord } from '../admin/admin-ports.js';
import { checkPasswordRules, insertNewUser, UserCreatedConcurrently } from '../admin/users.js';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { EmailMessage, Notifier } from '../kernel/notifier.js';
import { hashPassword, hashToken, randomToken, verifyPassword } from '../kernel/secrets.js';
import type { Store } from '../store.js';
import type { InvitationRecord } from './invitation-ports.js';
import { type AttemptCharge, type AttemptLimiter, addressBucket, attemptsRefused, BUDGETS } from './login-limits.js';
import { plainSnippet } from './review-mail.js';
import { newSession, type SessionLogin } from './sessions.js';

/**
 * E-mail invitations, the only way an admin adds someone from the pages. An invitation is an offer
 * to an address: it carries the workspace, the role and the name the admin typed, and changes no
 * account until the invitee accepts it. So what the admin sees (the notice, the list of open
 * invitations) is the same whether the address is new, has an account elsewhere with a password,
 * or has one without: inviting tells an admin nothing about other workspaces, makes nobody a member
 * behind their back, and never touches a password.
 *
 * The mail carries a random 256-bit token, stored only as its hash, that works once within 7 days;
 * inviting the same address again replaces it. Opening the link (GET) changes nothing — mail
 * scanners fetch links. The form's POST accepts: an address without an account (or with one that
 * never had a password) chooses its password there; an account that has one proves it by entering
 * it and joins, and its password stays as it was. Either way the membership and a session are made
 * in the same transaction that uses the invitation.
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

const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('Enter a valid e-mail address').max(254, 'E-mail addresses have at most 254 characters'));

const inviteSchema = z.object({
  email: emailSchema,
  name: z.string().trim().max(200, 'Names have at most 200 characters').optional(),
  role: roleSchema,
});

function validationError(error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  return new AppError('validation_failed', issues.map((issue) => issue.message).join('; '), issues);
}

/** How the audit log names an invitation: a short piece of its token's hash, never the token. */
function invitationAuditId(invitation: Pick<InvitationRecord, 'tokenHash'>): string {
  return `inv_${invitation.tokenHash.slice(0, 16)}`;
}

export interface InviteResult {
  email: string;
  role: Role;
  expiresAt: number;
}

/**
 * Invites `email` to the admin's workspace with `role` and mails the link; inviting an address
 * again sends a new link and ends the old ones. Refused only for someone who is a member of this
 * workspace already (the admin sees their own members; their role is changed in the list).
 */
export async function inviteMember(
  deps: InvitationDeps,
  principal: Principal,
  input: { email: string; name?: string; role: Role },
  requestId: string | null = null,
): Promise<InviteResult> {
  authorize(principal, 'workspace:admin');
  const parsed = inviteSchema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error);
  const { email, role } = parsed.data;
  const workspace = await deps.store.read.workspaces.findById(principal.workspaceId);
  if (!workspace) throw notFound('Workspace');
  const now = deps.clock();
  const token = randomToken();
  const invitation: InvitationRecord = {
    tokenHash: hashToken(token),
    workspaceId: workspace.id,
    email,
    role,
    name: parsed.data.name || null,
    invitedBy: principal.actor.id,
    createdAt: now,
    expiresAt: now + INVITATION_TTL_MS,
    usedAt: null,
    revokedAt: null,
  };

  await deps.store.transaction(async (tx) => {
    const existing = await tx.users.findByEmail(email);
    const membership = existing ? await tx.users.findMembership(workspace.id, existing.id) : null;
    if (membership) {
      throw new AppError(
        'conflict',
        `${email} is already a member of this workspace (${membership.role}); change their role in the list.`,
      );
    }
    await tx.invitations.revokeUnused(workspace.id, email, now);
    await tx.invitations.insert(invitation);
    await recordAudit(tx, {
      workspaceId: workspace.id,
      at: now,
      actor: auditActorOf(principal),
      action: 'invitation.sent',
      target: { type: 'invitation', id: invitationAuditId(invitation) },
      data: { email, role },
      requestId,
    });
  });

  const link = `${deps.publicUrl.replace(/\/+$/, '')}/invite/${token}`;
  const message = invitationMail({
    to: email,
    inviter: principal.actor.name ?? 'An admin',
    workspace,
    role,
    link,
    expiresAt: invitation.expiresAt,
  });
  try {
    await deps.notifier.send(message);
  } catch (error) {
    deps.onSendError?.(error);
    throw new AppError(
      'service_unavailable',
      `The e-mail to ${email} could not be sent. Check the mail setup, then invite them again: that sends a new link.`,
    );
  }
  deps.onSent?.(message, link);
  return { email, role, expiresAt: invitation.expiresAt };
}

export interface OpenInvitationView {
  email: string;
  role: Role;
  name: string | null;
  createdAt: number;
  expiresAt: number;
  expired: boolean;
}

/** The workspace's invitations nobody has accepted or withdrawn, newest first, for its admins. */
export async function listInvitations(
  deps: { store: Store; clock: () => number },
  principal: Principal,
): Promise<OpenInvitationView[]> {
  authorize(principal, 'workspace:admin');
  const now = deps.clock();
  const open = await deps.store.read.invitations.listOpen(principal.workspaceId);
  return open.map((invitation) => ({
    email: invitation.email,
    role: invitation.role,
    name: invitation.name,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
    expired: invitation.expiresAt <= now,
  }));
}

/** Ends the open invitations of `email` to the admin's workspace; returns how many there were. */
export async function withdrawInvitation(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  email: string,
  requestId: string | null = null,
): Promise<number> {
  authorize(principal, 'workspace:admin');
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) throw validationError(parsed.error);
  const now = deps.clock();
  return deps.store.transaction(async (tx) => {
    const open = (await tx.invitations.listOpen(principal.workspaceId)).filter((i) => i.email === parsed.data);
    const withdrawn = await tx.invitations.revokeUnused(principal.workspaceId, parsed.data, now);
    if (withdrawn > 0) {
      for (const invitation of open) {
        await recordAudit(tx, {
          workspaceId: principal.workspaceId,
          at: now,
          actor: auditActorOf(principal),
          action: 'invitation.withdrawn',
          target: { type: 'invitation', id: invitationAuditId(invitation) },
          data: { email: invitation.email, role: invitation.role },
          requestId,
        });
      }
    }
    return withdrawn;
  });
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
  // One text for everyone: whether this address has an account is for its owner to know, not the mail's.
  const lines = [
    `${inviter} invited you to the Loopgate workspace "${workspace}" (${input.workspace.slug}) as ${input.role}.`,
    '',
    'Open this link to accept:',
    '',
    `  ${input.link}`,
    '',
    `The link works once and expires on ${new Date(input.expiresAt).toISOString()}.`,
    'Opening it changes nothing. New to Loopgate? You choose your password',
    'there. Already have a Loopgate account with this address? You enter',
    'its password to join; it stays as it is. Until you accept you are not',
    'a member. If you did not expect this mail, ignore it. Do not forward',
    'it: without an account yet, whoever has the link can choose your password.',
  ];
  return {
    to: [input.to],
    subject: `[Loopgate] ${inviter} invited you to ${workspace}`,
    text: `${lines.join('\n')}\n`,
  };
}

export interface OpenedInvitation {
  email: string;
  name: string | null;
  role: Role;
  workspace: { slug: string; name: string };
  expiresAt: number;
  /**
   * The address has an account with a password: accepting asks for that password (and never sets
   * one). Otherwise accepting chooses the password. Shown only to whoever holds the link.
   */
  hasPassword: boolean;
}

interface ValidInvitation {
  invitation: InvitationRecord;
  opened: OpenedInvitation;
}

const INVALID = 'This invitation link is not valid. It may have been mistyped or cut off.';
const ACCEPTED = 'This invitation has already been accepted. Each link works once; log in with your password.';

const invalid = (detail: string) => new AppError('invitation_invalid', detail);

async function findValid(deps: Pick<InvitationDeps, 'store' | 'clock'>, token: string): Promise<ValidInvitation> {
  if (!/^[\w-]{20,100}$/.test(token)) throw invalid(INVALID);
  const invitation = await deps.store.read.invitations.findByHash(hashToken(token));
  if (!invitation) throw invalid(INVALID);
  if (invitation.usedAt !== null) throw invalid(ACCEPTED);
  if (invitation.revokedAt !== null) {
    throw invalid(
      'This invitation was withdrawn or replaced: a newer invitation was sent to this address, or another one to this workspace was accepted. Use the link in the most recent e-mail.',
    );
  }
  if (invitation.expiresAt <= deps.clock()) {
    throw invalid(
      `This invitation expired on ${new Date(invitation.expiresAt).toISOString()}. Ask an admin to invite you again.`,
    );
  }
  const [account, workspace] = await Promise.all([
    deps.store.read.users.findByEmail(invitation.email),
    deps.store.read.workspaces.findById(invitation.workspaceId),
  ]);
  if (!workspace) throw invalid('This invitation no longer applies: its workspace is gone.');
  return {
    invitation,
    opened: {
      email: invitation.email,
      // The name the admin typed is only a suggestion for a new account; an existing one keeps its own.
      name: account ? account.name : invitation.name,
      role: invitation.role,
      workspace: { slug: workspace.slug, name: workspace.name },
      expiresAt: invitation.expiresAt,
      hasPassword: account?.passwordHash != null,
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
 * The POST behind an invitation link. With no account, or one that never had a password, `password`
 * becomes its password (same rules and hashing as every other); with an account that has one,
 * `password` must be it, and nothing about the account changes. Then, in one transaction, the
 * invitation is used (a compare-and-set), the membership is added (a member already keeps their
 * role), the address's other open invitations to this workspace end, and a session starts. Of two
 * concurrent accepts of one link exactly one wins and the other changes nothing; an account that
 * gets its password from elsewhere meanwhile is treated as having one. Refused attempts count
 * against the token with the client address, and
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
    for (let attempt = 1; ; attempt++) {
      try {
        const login = await acceptOnce(deps, token, password);
        await Promise.all([deps.limiter.refund(wide), deps.limiter.forget([pair])]);
        return login;
      } catch (error) {
        if (!(error instanceof UserCreatedConcurrently)) throw error;
        if (attempt >= 3) throw new AppError('conflict', 'Your account changed while you were accepting; try again.');
      }
    }
  } catch (error) {
    // Only a refusal counts; our own failure gives the attempt back.
    if (!(error instanceof AppError && error.status < 500)) await deps.limiter.refund([...wide, pair]);
    throw error;
  }
}

/** How the invitee showed the account is theirs: the password it has, or the first one they chose. */
type Credential = { kind: 'proven'; hash: string } | { kind: 'chosen'; hash: string };

async function acceptOnce(deps: AcceptDeps, token: string, password: string): Promise<SessionLogin> {
  const { invitation } = await findValid(deps, token);
  const account = await deps.store.read.users.findByEmail(invitation.email);
  let credential: Credential;
  if (account?.passwordHash) {
    if (!(await verifyPassword(password, account.passwordHash))) {
      throw new AppError(
        'unauthorized',
        'That is not the password of your Loopgate account. Enter the password you log in with; an operator can reset a forgotten one.',
      );
    }
    credential = { kind: 'proven', hash: account.passwordHash };
  } else {
    checkPasswordRules(password);
    credential = { kind: 'chosen', hash: await hashPassword(password) };
  }
  const now = deps.clock();
  const login = await deps.store.transaction(async (tx) => {
    if (!(await tx.invitations.use(invitation.tokenHash, now))) return null;
    const current = await tx.users.findByEmail(invitation.email);
    let userId: string;
    if (credential.kind === 'proven') {
      // Proven against this hash; if the operator reset it in between, the new one must be proven.
      if (current?.passwordHash !== credential.hash) throw new UserCreatedConcurrently(`${invitation.email} changed`);
      userId = current.id;
    } else if (!current) {
      userId = newId('user', now);
      await insertNewUser(tx, {
        id: userId,
        email: invitation.email,
        name: invitation.name,
        passwordHash: credential.hash,
        createdAt: now,
      });
    } else if (await tx.users.setFirstPassword(current.id, credential.hash)) {
      userId = current.id;
    } else {
      // Someone chose this account's password meanwhile (through another invitation): run again and prove it.
      throw new UserCreatedConcurrently(`${invitation.email} got a password meanwhile`);
    }
    await tx.users.addMembership({
      workspaceId: invitation.workspaceId,
      userId,
      role: invitation.role,
      createdAt: now,
    });
    await tx.invitations.revokeUnused(invitation.workspaceId, invitation.email, now);
    const started = newSession(userId, invitation.workspaceId, now);
    await tx.sessions.insert(started.session);
    return started;
  });
  if (!login) {
    // Lost the race (or the link expired meanwhile): say why, as the page would now.
    await findValid(deps, token);
    throw invalid(ACCEPTED);
  }
  return login;
}
