/**
 * A local OpenID Connect provider for development and tests: the certified
 * `oidc-provider` package on a loopback port, with a few test accounts and
 * its development login pages (type an account name; there is no password).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface DevAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

export interface DevClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface DevIdp {
  issuer: string;
  /** The provider's signing key (private), for tests that play a misbehaving provider. */
  signingKey: JWK;
  close(): Promise<void>;
}

/** Starts the provider; `port` 0 (the default) picks a free one. */
export async function startDevIdp(options: {
  port?: number;
  host?: string;
  clients: DevClient[];
  accounts: Record<string, DevAccount>;
}): Promise<DevIdp> {
  const host = options.host ?? '127.0.0.1';
  let handler: Parameters<typeof createServer>[1] = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler!(req, res));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'dev-idp-1', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    async findAccount(_ctx, id) {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['roster-dev-idp'] },
    // Put the requested claims into the ID token as well as userinfo.
    conformIdTokenClaims: false,
  });
  provider.on('server_error', (_ctx, error) => process.stderr.write(`dev-idp: ${String(error)}\n`));
  handler = provider.callback();

  return {
    issuer,
    signingKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
