/**
 * The `roster` command line (API.md 9): serve, migrate, seed, and the
 * operator's account commands. It works on ROSTER_DATABASE_URL directly,
 * with no server running, through the same services (and rules) as the API.
 * Exit codes: 0 success, 1 refused or failed, 2 wrong usage.
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { operatorPrincipal } from '../auth/access.js';
import { generatePassword } from '../auth/tokens.js';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { describeDatabaseUrl, openDatabase, type DatabaseHandle } from '../db/dialect.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import { DomainError } from '../domain/errors.js';
import { bodyIssues } from '../http/validation.js';
import { toUserRead } from '../modules/users/users.mapper.js';
import type { PublicUserRecord } from '../modules/users/users.repository.js';
import { UserCreate, UserUpdate } from '../modules/users/users.schemas.js';
import type { UsersService } from '../modules/users/users.service.js';
import { serve, StartupError } from '../serve.js';
import { buildServices } from '../services.js';
import { CliFailure, type CliIo } from './io.js';
import { SeedRefused, seedUsers } from './seed.js';

const operator = operatorPrincipal();

function searchPrefix(value: string): string {
  if (value.length < 1 || value.length > 255) throw new InvalidArgumentError('1 to 255 characters are needed');
  return value;
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('a positive integer is needed');
  }
  return Number(value);
}

/** Runs one command line; answers its exit code, or undefined while `serve` keeps the process alive. */
export async function runCli(argv: string[], io: CliIo): Promise<number | undefined> {
  let keepAlive = false;
  let running = 'roster';
  const program = new Command('roster')
    .description('Roster, the user-account directory: run the service and manage its database and accounts.')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .hook('preAction', (_program, action) => {
      const names: string[] = [];
      for (let command: Command | null = action; command; command = command.parent) names.unshift(command.name());
      running = names.join(' ');
    });

  const config = (): Config => loadConfig(io.env);

  /**
   * Opens the database. `migrate: true` (seed) applies pending migrations first
   * unless ROSTER_MIGRATE_ON_START=false; the account commands never change the
   * schema: they refuse a database that is missing or has migrations pending
   * (a newer schema is fine, as for a running server during an upgrade).
   */
  const withDatabase = async <T>(
    work: (handle: DatabaseHandle, config: Config) => Promise<T>,
    migrate = false,
  ): Promise<T> => {
    const settings = config();
    const where = describeDatabaseUrl(settings.databaseUrl);
    if (
      !migrate &&
      settings.databaseUrl.startsWith('sqlite:') &&
      !existsSync(settings.databaseUrl.slice('sqlite:'.length))
    ) {
      throw new CliFailure(
        `there is no database at ${where}: check ROSTER_DATABASE_URL, or start Roster once to create it`,
      );
    }
    const handle = await openDatabase(settings.databaseUrl, { poolSize: 2 });
    try {
      let pending: string[];
      try {
        if (migrate && settings.migrateOnStart) await migrateToLatest(handle.db);
        pending = await pendingMigrations(handle.db);
      } catch (error) {
        throw new CliFailure(`cannot use the database (${where}): ${(error as Error).message}`);
      }
      if (pending.length > 0) {
        throw new CliFailure(
          `the database (${where}) has migrations pending (${pending.join(', ')}); run \`roster migrate\` (\`npm run roster -- migrate\` in a checkout) first`,
        );
      }
      return await work(handle, settings);
    } finally {
      await handle.close().catch(() => undefined);
    }
  };

  const withUsers = <T>(work: (users: UsersService) => Promise<T>) =>
    withDatabase((handle, settings) => {
      const { users } = buildServices(handle.db, { clock: systemClock, config: settings });
      return work(users);
    });

  /** The account named `username` (case-insensitively), or a one-line failure. */
  const account = async (users: UsersService, username: string) => {
    const found = await users.list(operator, {
      filters: { username },
      page: { offset: 0, limit: 1 },
      includeTotal: false,
    });
    const user = found.users[0];
    if (!user) throw new CliFailure(`no account is named ${username}`);
    return user;
  };

  /** A new password: generated (and printed once), or read from standard input / a prompt. */
  const newPassword = async (generate: boolean | undefined, schema: object, fields: Record<string, unknown>) => {
    const password = generate ? generatePassword() : await io.readPassword('New password: ');
    if (!generate && password === '')
      throw new CliFailure('no password given (pipe one on standard input, or use --generate)');
    checkInput(schema, { ...fields, password });
    return { password, generated: generate === true };
  };

  program
    .command('serve')
    .description('run the HTTP service (the same as `node dist/server.js`) until SIGTERM or SIGINT')
    .action(async () => {
      await serve(config());
      keepAlive = true;
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const settings = config();
      const handle = await openDatabase(settings.databaseUrl, { poolSize: 1 });
      try {
        const applied = await migrateToLatest(handle.db);
        io.stdout(
          applied.length === 0
            ? 'roster migrate: the schema is up to date\n'
            : `roster migrate: applied ${applied.join(', ')}\n`,
        );
      } catch (error) {
        throw new CliFailure(
          `cannot migrate the database (${describeDatabaseUrl(settings.databaseUrl)}): ${(error as Error).message}`,
        );
      } finally {
        await handle.close().catch(() => undefined);
      }
    });

  program
    .command('seed')
    .description(
      'add N local accounts (user<i>, user<i>@example.com, password "seeded-password") after those of earlier seeds, for benchmarks and demos; all or nothing',
    )
    .requiredOption('--users <n>', 'how many accounts to add', positiveInteger)
    .action(async (options: { users: number }) => {
      await withDatabase(async (handle) => {
        const started = Date.now();
        const report = progressReporter(io, started);
        try {
          const result = await seedUsers(handle, options.users, report);
          io.stderr(
            `${io.stderrIsTerminal ? '\n' : ''}roster seed: ${result.count.toLocaleString('en')} users added (user${result.first} to user${result.first + result.count - 1}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
          );
        } catch (error) {
          if (io.stderrIsTerminal) io.stderr('\n');
          if (error instanceof SeedRefused) throw new CliFailure(error.message);
          throw new CliFailure(`seeding failed, nothing was added: ${(error as Error).message}`);
        }
      }, true);
    });

  const users = program.command('users').description('manage accounts');
  users
    .command('list')
    .description('list accounts, in creation order')
    .option(
      '--search <prefix>',
      'case-insensitive prefix of the username, email or name (1 to 255 characters)',
      searchPrefix,
    )
    .option('--limit <n>', 'at most this many', positiveInteger)
    .option('--json', 'one JSON array of UserRead objects')
    .action(async (options: { search?: string; limit?: number; json?: boolean }) => {
      await withUsers(async (service) => {
        const shown: PublicUserRecord[] = [];
        let after: { created: string; id: string } | undefined;
        const limit = options.limit ?? Number.POSITIVE_INFINITY;
        while (shown.length < limit) {
          const pageSize = Math.min(1000, limit - shown.length);
          const { users: page } = await service.list(operator, {
            filters: options.search !== undefined ? { search: options.search } : {},
            page: { offset: 0, limit: pageSize, ...(after ? { after } : {}) },
            includeTotal: false,
          });
          shown.push(...page);
          const last = page.at(-1);
          if (!last || page.length < pageSize) break;
          after = { created: last.created, id: last.id };
        }
        if (options.json) io.stdout(`${JSON.stringify(shown.map(toUserRead), null, 2)}\n`);
        else io.stdout(table(shown));
      });
    });

  users
    .command('create <username>')
    .description('create a local account; its password comes from standard input, a prompt, or --generate')
    .option('--email <email>', 'its email address')
    .option('--name <name>', 'its display name')
    .option('--superuser', 'make it a superuser')
    .option('--generate', 'generate a strong password and print it once')
    .action(
      async (username: string, options: { email?: string; name?: string; superuser?: boolean; generate?: boolean }) => {
        const fields = {
          username,
          ...(options.email !== undefined ? { email: options.email } : {}),
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.superuser ? { is_superuser: true } : {}),
        };
        checkInput(UserCreate, { ...fields, password: 'checked-below' });
        const { password, generated } = await newPassword(options.generate, UserCreate, fields);
        await withUsers(async (service) => {
          const user = await service.create(operator, { ...fields, password });
          io.stdout(`created ${user.username} (${user.id})${user.is_superuser ? ', a superuser' : ''}\n`);
          if (generated) io.stdout(`password (shown once): ${password}\n`);
        });
      },
    );

  users
    .command('set-password <username>')
    .description(
      "set a local account's password (from standard input, a prompt, or --generate); its sessions are revoked",
    )
    .option('--generate', 'generate a strong password and print it once')
    .action(async (username: string, options: { generate?: boolean }) => {
      const { password, generated } = await newPassword(options.generate, UserUpdate, {});
      await withUsers(async (service) => {
        const user = await account(service, username);
        await service.update(operator, user.id, { password });
        io.stdout(`password of ${user.username} changed; its sessions are revoked\n`);
        if (generated) io.stdout(`password (shown once): ${password}\n`);
      });
    });

  users
    .command('unlock <username>')
    .description("clear an account's failed-login counters, so that it may log in at once")
    .action(async (username: string) => {
      await withUsers(async (service) => {
        const user = await account(service, username);
        await service.clearLoginFailures(operator, user.id);
        io.stdout(`failed logins of ${user.username} cleared\n`);
      });
    });

  for (const [name, active] of [
    ['deactivate', false],
    ['activate', true],
  ] as const) {
    users
      .command(`${name} <username>`)
      .description(active ? 'let an account log in again' : 'stop an account from logging in; its sessions are revoked')
      .action(async (username: string) => {
        await withUsers(async (service) => {
          const user = await account(service, username);
          await service.update(operator, user.id, { is_active: active });
          io.stdout(`${user.username} ${active ? 'activated' : 'deactivated'}\n`);
        });
      });
  }

  program
    .command('admin')
    .description('the internal administrator account')
    .command('reset-password')
    .description(
      "set the internal administrator's password (from standard input, a prompt, or --generate); works while the server runs, and revokes the account's sessions",
    )
    .option('--generate', 'generate a strong password and print it once')
    .action(async (options: { generate?: boolean }) => {
      const { password, generated } = await newPassword(options.generate, UserUpdate, {});
      await withUsers(async (service) => {
        const internal = await service.resetInternalPassword(operator, password);
        io.stdout(`password of the internal account ${internal.username} changed; its sessions are revoked\n`);
        if (generated) io.stdout(`password (shown once): ${password}\n`);
      });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return keepAlive ? undefined : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr(`${running}: ${failureMessage(error)}\n`);
    return 1;
  }
}

function failureMessage(error: unknown): string {
  if (error instanceof CliFailure || error instanceof ConfigError || error instanceof StartupError)
    return error.message;
  if (error instanceof DomainError) return `refused: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|28P01|3D000)$/.test(code)) {
    return `cannot reach the database: ${(error as Error).message}`;
  }
  return (error as Error).message;
}

/** Refuses input the API would refuse, naming the field. */
function checkInput(schema: object, data: Record<string, unknown>): void {
  const issue = bodyIssues(schema, data)[0];
  if (issue) throw new CliFailure(`${issue.loc.slice(1).join('.') || 'input'}: ${issue.msg}`);
}

function table(users: PublicUserRecord[]): string {
  const rows = users.map((u) => [
    u.id,
    u.username,
    u.email ?? '',
    [
      u.is_active ? 'active' : 'inactive',
      u.is_superuser ? 'superuser' : '',
      u.is_service_account ? 'service' : '',
      u.oauth_provider ? `sso:${u.oauth_provider}` : '',
    ]
      .filter(Boolean)
      .join(','),
    u.created,
  ]);
  const header = ['ID', 'USERNAME', 'EMAIL', 'FLAGS', 'CREATED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`;
  return [line(header), ...rows.map(line), `${users.length} account${users.length === 1 ? '' : 's'}\n`].join('');
}

/** Progress on a terminal (one line redrawn), else one line per tenth of the work. */
function progressReporter(io: CliIo, started: number) {
  let lastTenth = 0;
  let lastDraw = 0;
  return (done: number, total: number, phase: 'rows' | 'indexing') => {
    if (phase === 'indexing') {
      io.stderr(`${io.stderrIsTerminal ? '\n' : ''}roster seed: building indexes\n`);
      return;
    }
    const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
    const text = `roster seed: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} users (${Math.floor((done / total) * 100)}%, ${rate.toLocaleString('en')}/s)`;
    if (io.stderrIsTerminal) {
      if (Date.now() - lastDraw > 100 || done === total) {
        io.stderr(`\r${text}   `);
        lastDraw = Date.now();
      }
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      io.stderr(`${text}\n`);
    }
  };
}
