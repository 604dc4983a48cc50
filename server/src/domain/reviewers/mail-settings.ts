import { DEFAULT_MAILS_PER_HOUR, MAIL_MODES, type MailMode, type UserMailSettings } from '../admin/admin-ports.js';
import { OPERATOR, recordAudit } from '../audit/record-audit.js';
import { AppError, notFound } from '../kernel/errors.js';
import type { Repositories } from '../store.js';

/** The most mails an hour a user may ask for; above it the digest is the way. */
export const MAX_MAILS_PER_HOUR = 200;

/** True for a time zone this runtime knows by its IANA name (as `Intl.DateTimeFormat` accepts it). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The canonical spelling of a valid IANA time zone ("europe/berlin" → "Europe/Berlin"). */
export function canonicalTimeZone(name: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: name }).resolvedOptions().timeZone;
}

/** What review mail uses for one recipient: their settings with the defaults filled in. */
export interface MailPreferences {
  timeZone: string;
  mailMode: MailMode;
  mailsPerHour: number;
}

/** The user's own time zone, else the workspace's, else UTC; `each` and the default cap unless they chose. */
export async function mailPreferences(
  repos: Pick<Repositories, 'users' | 'workspaces'>,
  workspaceId: string,
  userId: string,
): Promise<MailPreferences> {
  const own = await repos.users.findMailSettings(userId);
  const timeZone = own?.timeZone ?? (await repos.workspaces.findTimeZone(workspaceId)) ?? 'UTC';
  return {
    timeZone: isTimeZone(timeZone) ? timeZone : 'UTC',
    mailMode: own?.mailMode ?? 'each',
    mailsPerHour: own?.mailsPerHour ?? DEFAULT_MAILS_PER_HOUR,
  };
}

/** Settings as a form or the CLI gives them: strings, empty meaning "the default". */
export interface MailSettingsInput {
  timeZone?: string;
  mailMode?: string;
  mailsPerHour?: string | number;
}

/**
 * Checks every field and reports each problem by its field (nothing is written unless all are good):
 * a time zone `Intl.DateTimeFormat` knows, one of each/hourly/daily, a whole number of mails an hour.
 */
export function parseMailSettings(input: MailSettingsInput): UserMailSettings {
  const problems: { path: string; message: string }[] = [];
  const zone = (input.timeZone ?? '').trim();
  let timeZone: string | null = null;
  if (zone !== '') {
    if (isTimeZone(zone)) timeZone = canonicalTimeZone(zone);
    else
      problems.push({
        path: 'timeZone',
        message: `"${zone.slice(0, 64)}" is not a time zone; use a name like Europe/Berlin or UTC`,
      });
  }
  const mode = (input.mailMode ?? '').trim();
  let mailMode: MailMode | null = null;
  if (mode !== '') {
    if ((MAIL_MODES as readonly string[]).includes(mode)) mailMode = mode as MailMode;
    else problems.push({ path: 'mailMode', message: 'choose each task, an hourly digest or a daily digest' });
  }
  const cap = String(input.mailsPerHour ?? '').trim();
  let mailsPerHour: number | null = null;
  if (cap !== '') {
    const n = Number(cap);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_MAILS_PER_HOUR) mailsPerHour = n;
    else problems.push({ path: 'mailsPerHour', message: `a whole number from 1 to ${MAX_MAILS_PER_HOUR}` });
  }
  if (problems.length > 0) throw new AppError('validation_failed', 'Some settings are not valid', problems);
  return { timeZone, mailMode, mailsPerHour };
}

/** A user changes their own mail settings: a personal preference, so not in the ledger (see AuditAction). */
export async function updateMailSettings(
  deps: { store: { transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> } },
  userId: string,
  input: MailSettingsInput,
): Promise<UserMailSettings> {
  const settings = parseMailSettings(input);
  const found = await deps.store.transaction((tx) => tx.users.setMailSettings(userId, settings));
  if (!found) throw notFound('The user');
  return settings;
}

/**
 * The operator sets the time zone a workspace's members fall back to (null: UTC): a workspace
 * setting, audited in the same transaction. Setting the zone it already has writes nothing.
 */
export async function setWorkspaceTimeZone(
  deps: { store: { transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> }; clock: () => number },
  workspaceId: string,
  timeZone: string | null,
): Promise<string | null> {
  let zone: string | null = null;
  if (timeZone !== null && timeZone.trim() !== '') {
    if (!isTimeZone(timeZone.trim())) {
      throw new AppError('validation_failed', `"${timeZone.slice(0, 64)}" is not a time zone`, [
        { path: 'timeZone', message: 'use an IANA name like Europe/Berlin or UTC' },
      ]);
    }
    zone = canonicalTimeZone(timeZone.trim());
  }
  const found = await deps.store.transaction(async (tx) => {
    const before = await tx.workspaces.findTimeZone(workspaceId);
    if (!(await tx.workspaces.setTimeZone(workspaceId, zone))) return false;
    if (before === zone) return true;
    await recordAudit(tx, {
      workspaceId,
      at: deps.clock(),
      actor: OPERATOR,
      action: 'workspace.time_zone_changed',
      target: { type: 'workspace', id: workspaceId },
      data: { from: before, to: zone },
      requestId: null,
    });
    return true;
  });
  if (!found) throw notFound('The workspace');
  return zone;
}
