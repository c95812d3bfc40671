/** `npm run migrate`: applies pending migrations to ROSTER_DATABASE_URL and exits. */
import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import { openDatabase } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrate.js';

async function main(): Promise<number> {
  let url: string;
  try {
    loadDotEnv();
    url = loadConfig().databaseUrl;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`roster migrate: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const handle = await openDatabase(url);
  try {
    const applied = await migrateToLatest(handle.db);
    process.stdout.write(
      applied.length === 0 ? 'roster migrate: the schema is up to date\n' : `roster migrate: applied ${applied.join(', ')}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`roster migrate: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await handle.close();
  }
}

process.exitCode = await main();
