import { ROLES, type Role } from '@loopgate/shared';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { createApiKey, createWorkspace, resetPassword, upsertUser } from '../domain/admin-service.js';
import { AppError } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { openStore } from '../store/open-store.js';

/**
 * `loopgate` administers the database the server uses (same environment: DATABASE_URL / DATA_DIR).
 * Commands print their result on stdout and nothing else, so scripts can capture it; messages go to stderr.
 */
async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config.database);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
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

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (error) {
    const message =
      error instanceof ConfigError || error instanceof AppError
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
