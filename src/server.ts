/**
 * Roster's server process (`node dist/server.js`, the production command):
 * read the configuration, then serve until SIGTERM or SIGINT.
 */
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { serve, StartupError } from './serve.js';

try {
  loadDotEnv();
  await serve(loadConfig());
} catch (error) {
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`roster: ${known ? '' : 'failed to start: '}${(error as Error).message}\n`);
  process.exit(1);
}
