import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, 'sqlite:./data/roster.db');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.tokenTtlSeconds, 3600);
    assert.equal(config.adminUsername, 'admin');
    assert.equal(config.adminPassword, undefined);
    assert.equal(config.secretKey, undefined);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.bodyLimitBytes, 65_536);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      ROSTER_DATABASE_URL: 'postgres://roster@db.internal:5432/roster',
      ROSTER_HOST: '0.0.0.0',
      ROSTER_PORT: '9000',
      ROSTER_SECRET_KEY: 'k'.repeat(40),
      ROSTER_TOKEN_TTL: '600',
      ROSTER_ADMIN_USERNAME: 'root',
      ROSTER_ADMIN_PASSWORD: 'a-long-password',
      ROSTER_LOG_LEVEL: 'debug',
    });
    assert.equal(config.databaseUrl, 'postgres://roster@db.internal:5432/roster');
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9000);
    assert.equal(config.secretKey, 'k'.repeat(40));
    assert.equal(config.tokenTtlSeconds, 600);
    assert.equal(config.adminUsername, 'root');
    assert.equal(config.adminPassword, 'a-long-password');
    assert.equal(config.logLevel, 'debug');
  });

  it('refuses a bad setting with one line naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ROSTER_PORT: 'eighty' }, /^ROSTER_PORT must be an integer/],
      [{ ROSTER_PORT: '70000' }, /^ROSTER_PORT must be an integer from 0 to 65535/],
      [{ ROSTER_TOKEN_TTL: '-5' }, /^ROSTER_TOKEN_TTL /],
      [{ ROSTER_DATABASE_URL: 'mysql://x' }, /^ROSTER_DATABASE_URL must be sqlite:<path> or postgres:/],
      [{ ROSTER_ADMIN_USERNAME: 'bad name' }, /^ROSTER_ADMIN_USERNAME must match/],
      [{ ROSTER_ADMIN_PASSWORD: 'short' }, /^ROSTER_ADMIN_PASSWORD must be 8 to 1024/],
      [{ ROSTER_SECRET_KEY: 'short' }, /^ROSTER_SECRET_KEY must be at least 32/],
      [{ ROSTER_LOG_LEVEL: 'loud' }, /^ROSTER_LOG_LEVEL must be one of/],
      [{ ROSTER_TRUST_PROXY: 'maybe' }, /^ROSTER_TRUST_PROXY must be false, a number of proxy hops/],
      [{ ROSTER_TRUST_PROXY: 'true' }, /^ROSTER_TRUST_PROXY must be false, a number of proxy hops/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => loadConfig(env), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes('\n'));
        return true;
      });
    }
  });

  it('reads ROSTER_TRUST_PROXY as a hop count or a list of proxies', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ ROSTER_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ROSTER_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy, ['10.0.0.1', '192.168.0.0/16']);
  });

  it('never repeats a database password in its message', () => {
    assert.throws(() => loadConfig({ ROSTER_DATABASE_URL: 'mysql://roster:hunter2@db/x' }), (error: Error) => {
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
  });
});
