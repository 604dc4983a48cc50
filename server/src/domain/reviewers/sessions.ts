import type { UserRecord } from '../admin/admin-ports.js';
import type { Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { hashToken, randomToken, verifyPassword } from '../kernel/secrets.js';
import type { Store } from '../store.js';
import { type AttemptCharge, type AttemptLimiter, addressBucket, attemptsRefused, BUDGETS } from './login-limits.js';
import { memberPrincipal } from './member-principal.js';
import type { SessionRecord } from './reviewer-ports.js';

export interface SessionDeps {
  store: Store;
  clock: () => number;
  limiter: AttemptLimiter;
}

/** Sessions last a working week; logging out or an admin's role change ends them sooner. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface SessionLogin {
  /** The cookie value; only its hash is stored. */
  token: string;
  session: SessionRecord;
}

/**
 * Email + password login. Unknown e-mail and wrong password give the same answer (and both cost
 * a scrypt hash), so the form does not reveal who has an account. Lands in the user's first
 * workspace, or the one named by `workspaceSlug`. Every attempt spends from three budgets (see
 * BUDGETS): the client address's, the account's, and the pair's; a success gives them back.
 */
export async function logIn(
  deps: SessionDeps,
  input: { email: string; password: string; workspaceSlug?: string; clientAddress: string },
): Promise<SessionLogin> {
  const email = input.email.trim().toLowerCase();
  const address = addressBucket(input.clientAddress);
  const pair: AttemptCharge = { budget: BUDGETS.loginAccountAddress, key: `${email}\u0000${address}` };
  const wide: AttemptCharge[] = [
    { budget: BUDGETS.failuresPerAddress, key: address },
    { budget: BUDGETS.loginAccount, key: email },
  ];
  const verdict = await deps.limiter.take([...wide, pair]);
  if (!verdict.allowed) {
    throw attemptsRefused(
      verdict,
      verdict.budget === BUDGETS.loginAccount
        ? 'Too many failed logins for this account'
        : verdict.budget === BUDGETS.failuresPerAddress
          ? 'Too many failed logins from your network'
          : 'Too many failed logins',
    );
  }
  const now = deps.clock();
  let login: SessionLogin;
  try {
    const user = await deps.store.read.users.findByEmail(email);
    // Hash against a dummy when the user is unknown or has no password yet (invited), so timing does not
    // tell accounts apart and an invitation not yet accepted cannot be logged into.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    const workspaces = user && ok ? await deps.store.read.members.workspacesOf(user.id) : [];
    const wanted = input.workspaceSlug?.trim();
    const membership = wanted ? workspaces.find((w) => w.slug === wanted) : workspaces[0];
    if (!user || !ok || !membership) throw new AppError('unauthorized', 'The e-mail address or password is not right');
    login = newSession(user.id, membership.workspaceId, now);
    await deps.store.transaction(async (tx) => {
      await tx.sessions.insert(login.session);
      // Housekeeping rides on logins: no extra job, and the delete reads the expires_at index.
      await tx.sessions.purgeExpired(now);
    });
  } catch (error) {
    // Only a refused login counts; our own failure (the database, say) gives the attempt back.
    if (!(error instanceof AppError && error.code === 'unauthorized')) await deps.limiter.refund([...wide, pair]);
    throw error;
  }
  await Promise.all([deps.limiter.refund(wide), deps.limiter.forget([pair])]);
  return login;
}

/** A session (not yet stored) for someone who has just proven who they are: a login, an accepted invitation. */
export function newSession(userId: string, workspaceId: string, now: number): SessionLogin {
  const token = randomToken();
  return {
    token,
    session: {
      idHash: hashToken(token),
      userId,
      workspaceId,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
    },
  };
}

export interface SessionPrincipal {
  principal: Principal;
  session: SessionRecord;
  user: UserRecord;
}

/**
 * The principal behind a session cookie. The role is read from the membership on every request,
 * so an admin's role change takes effect at once; a removed membership ends the session.
 */
export async function authenticateSession(
  deps: Pick<SessionDeps, 'store' | 'clock'>,
  token: string,
): Promise<SessionPrincipal | null> {
  if (!/^[\w-]{20,100}$/.test(token)) return null;
  const session = await deps.store.read.sessions.findLive(hashToken(token), deps.clock());
  if (!session) return null;
  const member = await memberPrincipal(deps.store.read, session.workspaceId, session.userId);
  return member ? { session, ...member } : null;
}

export async function logOut(deps: Pick<SessionDeps, 'store'>, token: string): Promise<void> {
  await deps.store.transaction((tx) => tx.sessions.delete(hashToken(token)));
}

// scrypt of a random password, same parameters as real hashes; never matches anything.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
