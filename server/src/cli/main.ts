import { generateKeyPairSync } from 'node:crypto';
import { type Actor, ROLES, type Role } from '@loopgate/shared';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { createApiKey, listAllApiKeys, revokeApiKeyByRef } from '../domain/admin/api-keys.js';
import { resetPassword, upsertUser } from '../domain/admin/users.js';
import { createWorkspace, resolveWorkspace } from '../domain/admin/workspaces.js';
import { AUDIT_CSV_COLUMNS, auditCsvRow, exportAuditLog } from '../domain/audit/export-audit-log.js';
import { exportAuditCheckpoints } from '../domain/audit/list-audit-checkpoints.js';
import { verifyAuditLog } from '../domain/audit/verify-audit-log.js';
import type { TaskEventBus } from '../domain/kernel/bus.js';
import { AppError } from '../domain/kernel/errors.js';
import { setWorkspaceTimeZone } from '../domain/reviewers/mail-settings.js';
import type { Store } from '../domain/store.js';
import { publishInvalidation } from '../events/redis-bus.js';
import { writeExport } from '../http-common/export-stream.js';
import { openStore } from '../store/open-store.js';

/**
 * `loopgate` administers the database the server uses (same environment: DATABASE_URL / DATA_DIR).
 * Commands print their result on stdout and nothing else, so scripts can capture it; messages go to stderr.
 */
async function withStore<T>(work: (store: Store, config: Readonly<Config>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config.database);
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

/**
 * With REDIS_URL, running servers hear of a revocation at once, as when an admin revokes through the
 * API; without it (or with Redis away), they refuse the key when their 5-second cache runs out.
 */
function invalidationBus(config: Readonly<Config>): Pick<TaskEventBus, 'invalidate'> | undefined {
  const url = config.redisUrl;
  if (!url) return undefined;
  return {
    async invalidate(message) {
      try {
        await publishInvalidation(url, message);
      } catch (error) {
        process.stderr.write(
          `could not tell running servers through Redis (${(error as Error).message}); they refuse the key within 5 s\n`,
        );
      }
    },
  };
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function describeActor(actor: Actor | null): string {
  return actor === null ? '-' : `${actor.type}:${actor.id ?? actor.name ?? '-'}`;
}

const clock = Date.now;

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value as Role;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function buildCli(): Command {
  const program = new Command('loopgate')
    .description('Administer a Loopgate server (uses the same DATABASE_URL / DATA_DIR as the server)')
    .showHelpAfterError();

  program
    .command('migrate')
    .description('Bring the database schema up to date (the server also does this at start)')
    .action(async () => {
      await withStore(async (store) => {
        process.stderr.write(`migrations applied (${store.dialect})\n`);
      });
    });

  const workspace = program.command('workspace').description('Manage workspaces');
  workspace
    .command('create <slug>')
    .description('Add a workspace; prints its id')
    .option('--name <name>', 'display name')
    .action(async (slug: string, options: { name?: string }) => {
      const created = await withStore((store) => createWorkspace({ store, clock }, slug, options.name));
      process.stdout.write(`${created.id}\n`);
    });

  workspace
    .command('set-time-zone <slug> <time-zone>')
    .description('Set the time zone mail shows times in for members who chose none (IANA name; "UTC" or "" for UTC)')
    .action(async (slug: string, timeZone: string) => {
      const zone = await withStore(async (store) => {
        const found = await store.read.workspaces.findBySlug(slug);
        if (!found) throw new AppError('not_found', `No workspace "${slug}"`);
        return setWorkspaceTimeZone({ store, clock }, found.id, timeZone);
      });
      process.stderr.write(`workspace ${slug} now shows times in ${zone ?? 'UTC'}\n`);
    });

  const apiKey = program.command('api-key').description('Manage API keys');
  apiKey
    .command('create')
    .description('Create an API key; prints it once (lg_…) and nothing else')
    .addOption(new Option('--role <role>', 'admin, reviewer or viewer').argParser(role).makeOptionMandatory())
    .requiredOption('--name <name>', 'what the key is for, e.g. ci or n8n')
    .option('--workspace <slug>', 'workspace slug (default: the default workspace)')
    .action(async (options: { role: Role; name: string; workspace?: string }) => {
      const created = await withStore((store) =>
        createApiKey({ store, clock }, { role: options.role, name: options.name, workspaceSlug: options.workspace }),
      );
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`created key ${created.prefix}… (${options.role}) in workspace ${created.workspace.slug}\n`);
    });
  apiKey
    .command('list')
    .description(
      'List active keys (never the key itself), tab-separated after a header line: id, prefix, workspace, name, role, created, last used, created by',
    )
    .option('--workspace <slug>', 'only this workspace (default: every workspace)')
    .action(async (options: { workspace?: string }) => {
      const keys = await withStore((store) => listAllApiKeys({ store }, { workspaceSlug: options.workspace }));
      const lines = [
        ['id', 'prefix', 'workspace', 'name', 'role', 'created', 'last_used', 'created_by'],
        ...keys.map(({ key, workspace }) => [
          key.id,
          key.prefix,
          workspace.slug,
          // A tab or newline in a name would break the columns.
          key.name.replace(/[\t\r\n]/g, ' '),
          key.role,
          iso(key.createdAt),
          iso(key.lastUsedAt),
          describeActor(key.createdBy),
        ]),
      ];
      process.stdout.write(lines.map((line) => `${line.join('\t')}\n`).join(''));
    });
  apiKey
    .command('revoke <id-or-prefix>')
    .description('Revoke a key by its id (key_…) or prefix (lg_…, as `api-key list` shows it); prints its id')
    .action(async (ref: string) => {
      const revoked = await withStore((store, config) =>
        revokeApiKeyByRef({ store, clock, bus: invalidationBus(config) }, ref),
      );
      process.stdout.write(`${revoked.id}\n`);
      process.stderr.write(`revoked key ${revoked.prefix}… (${revoked.name}, ${revoked.role})\n`);
    });

  const user = program.command('user').description('Manage users');
  user
    .command('create')
    .description(
      'Create a user with a role in a workspace (an existing user gets the role and keeps their password); prints the user id',
    )
    .requiredOption('--email <email>', 'login e-mail')
    .addOption(new Option('--role <role>', 'admin, reviewer or viewer').argParser(role).makeOptionMandatory())
    .option('--name <name>', 'display name')
    .option('--workspace <slug>', 'workspace slug (default: the default workspace)')
    .option('--password-stdin', 'read the password from standard input (otherwise LOOPGATE_USER_PASSWORD)')
    .action(
      async (options: { email: string; role: Role; name?: string; workspace?: string; passwordStdin?: boolean }) => {
        const password = options.passwordStdin ? await readStdin() : process.env.LOOPGATE_USER_PASSWORD;
        if (!password)
          throw new AppError('validation_failed', 'Give the password with --password-stdin or LOOPGATE_USER_PASSWORD');
        const result = await withStore((store) =>
          upsertUser(
            { store, clock },
            {
              email: options.email,
              password,
              name: options.name,
              role: options.role,
              workspaceSlug: options.workspace,
            },
          ),
        );
        process.stdout.write(`${result.userId}\n`);
        process.stderr.write(
          `${result.created ? 'created' : 'updated'} ${options.email} as ${options.role} in ${result.workspace.slug}\n`,
        );
      },
    );

  user
    .command('set-password')
    .description("Reset a user's password and end their sessions; prints the user id")
    .requiredOption('--email <email>', 'login e-mail')
    .option('--password-stdin', 'read the password from standard input (otherwise LOOPGATE_USER_PASSWORD)')
    .action(async (options: { email: string; passwordStdin?: boolean }) => {
      const password = options.passwordStdin ? await readStdin() : process.env.LOOPGATE_USER_PASSWORD;
      if (!password)
        throw new AppError('validation_failed', 'Give the password with --password-stdin or LOOPGATE_USER_PASSWORD');
      const userId = await withStore((store) => resetPassword({ store, clock }, { email: options.email, password }));
      process.stdout.write(`${userId}\n`);
      process.stderr.write(`set a new password for ${options.email}; their sessions are ended\n`);
    });

  const audit = program.command('audit').description("Check and export workspaces' audit logs (docs/governance.md)");
  audit
    .command('verify')
    .description(
      'Walk the hash chain; prints one line per workspace (slug, ok or the first bad seq and why); exits 1 if any is broken',
    )
    .option('--workspace <slug>', 'only this workspace (default: every workspace)')
    .option('--from <seq>', 'start at this seq (its link to the entry before is still checked)', positiveInteger)
    .action(async (options: { workspace?: string; from?: number }) => {
      const broken = await withStore(async (store, config) => {
        const workspaces = options.workspace
          ? [await resolveWorkspace({ store, clock }, options.workspace)]
          : await store.read.workspaces.list();
        const bad: string[] = [];
        for (const each of workspaces) {
          const result = await verifyAuditLog({ store }, each.id, {
            fromSeq: options.from,
            currentKeyId: config.auditSigner?.keyId ?? null,
          });
          const line = result.ok
            ? `${each.slug}	ok	${result.checked} entries${result.lastSeq === null ? '' : ` through seq ${result.lastSeq}`}${describeCheckpoints(result.checkpoints)}`
            : `${each.slug}	broken	seq ${result.seq}	${result.reason}: ${result.message}`;
          process.stdout.write(`${line}
`);
          if (!result.ok) bad.push(`${each.slug} at seq ${result.seq}`);
        }
        return bad;
      });
      if (broken.length > 0) throw new CliFailure(`audit chain broken: ${broken.join(', ')}`);
    });
  audit
    .command('export')
    .description("Write a workspace's audit log to stdout, oldest first: JSON Lines (each line verifiable) or CSV")
    .option('--workspace <slug>', 'workspace slug (default: the default workspace)')
    .option('--from <time>', 'entries at or after this time (ISO 8601)', isoTime)
    .option('--to <time>', 'entries before this time (ISO 8601)', isoTime)
    .option('--actor <id>', "only this actor's entries (usr_…, key_…)")
    .option('--task <id>', "only this task's entries")
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .action(
      async (options: {
        workspace?: string;
        from?: number;
        to?: number;
        actor?: string;
        task?: string;
        format: 'jsonl' | 'csv';
      }) => {
        await withStore(async (store) => {
          const found = await resolveWorkspace({ store, clock }, options.workspace);
          const rows = exportAuditLog({ store }, found.id, {
            from: options.from,
            to: options.to,
            actorId: options.actor,
            taskId: options.task,
          });
          await writeExport(process.stdout, rows, {
            format: options.format,
            csvColumns: AUDIT_CSV_COLUMNS,
            csvRow: auditCsvRow,
          });
        });
      },
    );

  audit
    .command('checkpoints')
    .description(
      "Write a workspace's signed checkpoints to stdout as JSON Lines, oldest first; each carries its public key (SPKI PEM) and verifies on its own (docs/governance.md)",
    )
    .option('--workspace <slug>', 'workspace slug (default: the default workspace)')
    .action(async (options: { workspace?: string }) => {
      await withStore(async (store, config) => {
        const found = await resolveWorkspace({ store, clock }, options.workspace);
        let count = 0;
        for await (const checkpoint of exportAuditCheckpoints({ store }, found.id)) {
          process.stdout.write(`${JSON.stringify(checkpoint)}\n`);
          count += 1;
        }
        const signing = config.auditSigner
          ? `this server signs with key ${config.auditSigner.keyId}`
          : 'LOOPGATE_AUDIT_SIGNING_KEY is not set here: no new checkpoints are signed';
        process.stderr.write(`${count} checkpoints in workspace ${found.slug}; ${signing}\n`);
      });
    });
  audit
    .command('keygen')
    .description(
      'Print a new Ed25519 private key (PKCS#8 PEM) for LOOPGATE_AUDIT_SIGNING_KEY on stdout, and its public key on stderr',
    )
    .action(() => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      process.stdout.write(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      process.stderr.write(
        `keep the private key secret; outsiders check checkpoints with the public key:\n${publicKey.export({ type: 'spki', format: 'pem' }).toString()}`,
      );
    });

  return program;
}

function describeCheckpoints(checkpoints: { checked: number; otherKeys: number }): string {
  if (checkpoints.checked === 0) return '';
  const others = checkpoints.otherKeys > 0 ? `, ${checkpoints.otherKeys} signed by another key` : '';
  return `, ${checkpoints.checked} checkpoints${others}`;
}

/** A command that ran but found something wrong: its message goes to stderr and the exit code is 1. */
class CliFailure extends Error {}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-01-31T00:00:00Z');
  return ms;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (error) {
    const message =
      error instanceof ConfigError || error instanceof AppError || error instanceof CliFailure
        ? error.message
        : `${(error as Error).message ?? error}`;
    process.stderr.write(`loopgate: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv).then((code) => {
    process.exitCode = code;
  });
}
