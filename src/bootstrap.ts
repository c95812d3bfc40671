import { randomBytes } from 'node:crypto';
import { newId } from './domain/ids.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { UniqueViolation } from './db/errors.js';
import { hashPassword, verifyPassword } from './auth/passwords.js';
import { generatePassword } from './auth/tokens.js';
import type { Executor } from './db/transactions.js';
import { SettingsRepository } from './modules/settings/settings.repository.js';
import { UsersRepository } from './modules/users/users.repository.js';
import { SYSTEM_ACTOR } from './domain/events.js';
import { buildServices } from './services.js';

export interface BootstrapResult {
  secretKey: string;
  /** Set only when this start created the internal account with a generated password. */
  generatedAdminPassword?: string;
  /** Set when ROSTER_ADMIN_USERNAME differs from the existing internal account. */
  adminUsernameMismatch?: string;
  /** Set when ROSTER_ADMIN_PASSWORD is set but is not the existing internal account's password (it is ignored). */
  adminPasswordIgnored?: boolean;
}

/**
 * First-start work (API.md 3.1): the secret key (from the environment, or
 * generated once and kept in the database) and the internal account. Safe
 * to run on several instances at once: the first writer wins.
 */
export async function bootstrap(db: Executor, config: Config, clock: Clock): Promise<BootstrapResult> {
  const users = new UsersRepository(db);
  const secretKey =
    config.secretKey ??
    (await new SettingsRepository(db).getOrInsert('secret_key', randomBytes(32).toString('base64url')));

  const existing = await users.findInternal();
  if (existing) {
    const result: BootstrapResult = { secretKey };
    if (existing.username !== config.adminUsername) result.adminUsernameMismatch = existing.username;
    if (
      config.adminPassword !== undefined &&
      (existing.password_hash === null || !(await verifyPassword(existing.password_hash, config.adminPassword)))
    ) {
      result.adminPasswordIgnored = true;
    }
    return result;
  }
  const password = config.adminPassword ?? generatePassword();
  const now = clock().toISOString();
  const passwordHash = await hashPassword(password);
  const { events } = buildServices(db, { clock, config });
  try {
    await events.transaction(async (tx) => {
      const internal = await new UsersRepository(tx.executor).insert(
        newId(),
        {
          username: config.adminUsername,
          password_hash: passwordHash,
          is_superuser: true,
          is_internal: true,
          is_onboarded: true,
        },
        now,
      );
      events.record(tx, {
        type: 'user.created',
        actor: SYSTEM_ACTOR,
        target: { type: 'user', id: internal.id },
        changes: { username: [null, internal.username], is_superuser: [null, true] },
      });
    });
  } catch (error) {
    if (error instanceof UniqueViolation) return { secretKey }; // another instance bootstrapped first
    throw error;
  }
  return config.adminPassword === undefined ? { secretKey, generatedAdminPassword: password } : { secretKey };
}
