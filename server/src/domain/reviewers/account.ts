import { checkPasswordRules } from '../admin/users.js';
import { AppError } from '../kernel/errors.js';
import { hashPassword, verifyPassword } from '../kernel/secrets.js';
import { type AttemptCharge, addressBucket, attemptsRefused, BUDGETS } from './login-limits.js';
import type { SessionDeps, SessionPrincipal } from './sessions.js';

export interface PasswordChangeInput {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
  clientAddress: string;
}

/**
 * A signed-in user changes their own password (the /account page). The current password is required,
 * and a wrong one spends from the same budgets as a failed login (so a stolen session cannot guess
 * the password faster there than at the login form). The new one meets the rules every password meets
 * (checkPasswordRules) and is typed twice. On success every other session of the user ends; the one
 * making the change stays. Problems come back per field, all at once; nothing is written unless all pass.
 */
export async function changeOwnPassword(
  deps: SessionDeps,
  web: Pick<SessionPrincipal, 'user' | 'session'>,
  input: PasswordChangeInput,
): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  try {
    checkPasswordRules(input.newPassword);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problems.push({ path: 'newPassword', message: error.message });
  }
  if (input.newPassword !== input.confirmPassword) {
    problems.push({ path: 'confirmPassword', message: 'The two new passwords are not the same' });
  }

  const email = web.user.email.trim().toLowerCase();
  const address = addressBucket(input.clientAddress);
  const pair: AttemptCharge = { budget: BUDGETS.loginAccountAddress, key: `${email}\u0000${address}` };
  const wide: AttemptCharge[] = [
    { budget: BUDGETS.failuresPerAddress, key: address },
    { budget: BUDGETS.loginAccount, key: email },
  ];
  const verdict = await deps.limiter.take([...wide, pair]);
  if (!verdict.allowed) throw attemptsRefused(verdict, 'Too many wrong current passwords for this account');
  let right: boolean;
  try {
    const user = await deps.store.read.users.findById(web.user.id);
    right = user?.passwordHash ? await verifyPassword(input.currentPassword, user.passwordHash) : false;
  } catch (error) {
    await deps.limiter.refund([...wide, pair]);
    throw error;
  }
  if (right) await Promise.all([deps.limiter.refund(wide), deps.limiter.forget([pair])]);
  else problems.unshift({ path: 'currentPassword', message: 'That is not your current password' });
  if (problems.length > 0) {
    throw new AppError(
      'validation_failed',
      problems.length === 1 && problems[0] ? problems[0].message : 'The password was not changed',
      problems,
    );
  }

  const passwordHash = await hashPassword(input.newPassword);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.users.setPassword(web.user.id, passwordHash))) throw new AppError('unauthorized', 'Log in first');
    await tx.sessions.deleteForUser(web.user.id, web.session.idHash);
  });
}
