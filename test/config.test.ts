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
    assert.equal(config.publicUrl, undefined);
    assert.equal(config.metricsToken, undefined);
    assert.equal(config.shutdownTimeoutSeconds, 10);
    assert.equal(config.requestTimeoutSeconds, 30);
    assert.deepEqual(config.corsOrigins, []);
  });

  it('reads the operations settings; ROSTER_PUBLIC_URL stands on its own', () => {
    const config = loadConfig({
      ROSTER_PUBLIC_URL: 'https://roster.example.com/base/',
      ROSTER_METRICS_TOKEN: 'a-metrics-token-value',
      ROSTER_SHUTDOWN_TIMEOUT: '25',
      ROSTER_REQUEST_TIMEOUT: '5',
      ROSTER_CORS_ORIGINS: 'https://console.example.com,http://localhost:5173',
    });
    assert.equal(config.publicUrl, 'https://roster.example.com/base');
    assert.equal(config.oidc, undefined);
    assert.equal(config.metricsToken, 'a-metrics-token-value');
    assert.equal(config.shutdownTimeoutSeconds, 25);
    assert.equal(config.requestTimeoutSeconds, 5);
    assert.deepEqual(config.corsOrigins, ['https://console.example.com', 'http://localhost:5173']);
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
      [
        { ROSTER_ADMIN_PASSWORD: 'password123' },
        /^ROSTER_ADMIN_PASSWORD is too easy to guess: it is among the 10,000 most common passwords/,
      ],
      [{ ROSTER_ADMIN_PASSWORD: '          ' }, /^ROSTER_ADMIN_PASSWORD is too easy to guess: it is only whitespace/],
      [{ ROSTER_SECRET_KEY: 'short' }, /^ROSTER_SECRET_KEY must be at least 32/],
      [{ ROSTER_LOG_LEVEL: 'loud' }, /^ROSTER_LOG_LEVEL must be one of/],
      [{ ROSTER_TRUST_PROXY: 'maybe' }, /^ROSTER_TRUST_PROXY must be false, a number of proxy hops/],
      [{ ROSTER_TRUST_PROXY: 'true' }, /^ROSTER_TRUST_PROXY must be false, a number of proxy hops/],
      [{ ROSTER_PUBLIC_URL: 'roster.example.com' }, /^ROSTER_PUBLIC_URL must be an absolute http\(s\) URL/],
      [{ ROSTER_PUBLIC_URL: 'https://roster.example.com/?x=1' }, /^ROSTER_PUBLIC_URL must not carry/],
      [{ ROSTER_METRICS_TOKEN: 'short' }, /^ROSTER_METRICS_TOKEN must be at least 16/],
      [{ ROSTER_SHUTDOWN_TIMEOUT: '0' }, /^ROSTER_SHUTDOWN_TIMEOUT must be an integer from 1/],
      [{ ROSTER_REQUEST_TIMEOUT: 'soon' }, /^ROSTER_REQUEST_TIMEOUT must be an integer/],
      [{ ROSTER_CORS_ORIGINS: 'https://console.example.com/path' }, /^ROSTER_CORS_ORIGINS must list origins/],
      [{ ROSTER_CORS_ORIGINS: '*' }, /^ROSTER_CORS_ORIGINS must list origins/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
    }
  });

  it('reads ROSTER_TRUST_PROXY as a hop count or a list of proxies', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ ROSTER_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ROSTER_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy, [
      '10.0.0.1',
      '192.168.0.0/16',
    ]);
  });

  it('never repeats a database password in its message', () => {
    assert.throws(
      () => loadConfig({ ROSTER_DATABASE_URL: 'mysql://roster:hunter2@db/x' }),
      (error: Error) => {
        assert.ok(!error.message.includes('hunter2'));
        return true;
      },
    );
  });
});
