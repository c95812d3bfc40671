/** The OpenID Connect relying party: discovery and the client configuration, through `openid-client`. */
import type * as OpenId from 'openid-client';
import type { OidcConfig } from '../../config.js';

export const SSO_CALLBACK_PATH = '/api/v1/auth/sso/callback';

export interface OidcClient {
  /** The `openid-client` library, loaded only when single sign-on is configured. */
  lib: typeof OpenId;
  config: OpenId.Configuration;
  settings: OidcConfig;
  redirectUri: string;
}

/** The provider could not be reached or its discovery document is unusable. */
export class OidcDiscoveryError extends Error {}

/**
 * Fetches and checks the provider's discovery document. `fetchImpl` replaces
 * the HTTP client for every request to the provider (tests use it to play a
 * misbehaving provider).
 */
export async function discoverOidc(settings: OidcConfig, fetchImpl?: typeof fetch): Promise<OidcClient> {
  const client = await import('openid-client');
  const issuer = new URL(settings.issuer);
  let config: OpenId.Configuration;
  try {
    config = await client.discovery(
      issuer,
      settings.clientId,
      undefined,
      client.ClientSecretBasic(settings.clientSecret),
      {
        timeout: 10,
        // http:// is accepted for loopback issuers only (checked with the configuration).
        execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
        ...(fetchImpl ? { [client.customFetch]: fetchImpl as OpenId.CustomFetch } : {}),
      },
    );
  } catch (error) {
    const reason =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new OidcDiscoveryError(`cannot use the discovery document of ${settings.issuer}: ${reason}`);
  }
  const metadata = config.serverMetadata();
  const methods = metadata.code_challenge_methods_supported;
  if (!metadata.authorization_endpoint || !metadata.token_endpoint || !metadata.jwks_uri) {
    throw new OidcDiscoveryError(
      `the discovery document of ${settings.issuer} lacks an authorization, token or JWKS endpoint`,
    );
  }
  if (methods !== undefined && !methods.includes('S256')) {
    throw new OidcDiscoveryError(`the provider at ${settings.issuer} does not support PKCE with S256`);
  }
  if (fetchImpl) config[client.customFetch] = fetchImpl as OpenId.CustomFetch;
  // Verify the ID token's signature against the provider's JWKS even though it
  // arrives straight from the token endpoint (the library skips it by default).
  client.enableNonRepudiationChecks(config);
  return { lib: client, config, settings, redirectUri: settings.publicUrl + SSO_CALLBACK_PATH };
}
