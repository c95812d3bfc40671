import type {} from '@fastify/cookie';
import { requestContext } from '../../auth/authenticate.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { KeyError } from '../../domain/errors.js';
import { errorResponses } from '../../http/schemas.js';
import { AccessTokenSchema } from '../auth/auth.schemas.js';
import { SSO_LOGIN_TTL_SECONDS, type SsoService } from './sso.service.js';

export interface SsoRoutesOptions {
  /** Undefined when single sign-on is not configured: both endpoints answer 404. */
  sso: SsoService | undefined;
  secretKey: string;
  /** ROSTER_PUBLIC_URL: decides the cookie's path (behind a path prefix) and Secure flag. */
  publicUrl: string | undefined;
}

const STATE_COOKIE = 'roster_sso_state';
const tags = ['auth'];

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
  session_state: Type.Optional(Type.String({ maxLength: 1024 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
});

export const ssoRoutes: FastifyPluginAsyncTypebox<SsoRoutesOptions> = async (app, { sso, secretKey, publicUrl }) => {
  // The path browsers see: Roster may sit behind a proxy under a prefix of ROSTER_PUBLIC_URL.
  const external = publicUrl ? new URL(publicUrl) : undefined;
  const cookiePath = `${external ? external.pathname.replace(/\/+$/, '') : ''}/api/v1/auth/sso`;
  const secureCookies = external ? external.protocol === 'https:' : true;
  // The cookie plugin (and the OpenID client) are loaded only when single sign-on is configured.
  if (sso) await app.register((await import('@fastify/cookie')).default, { secret: secretKey });
  const configured = () => {
    if (!sso) throw new KeyError('single sign-on is not configured');
    return sso;
  };

  app.get(
    '/api/v1/auth/sso/login',
    {
      schema: {
        operationId: 'ssoLogin',
        summary: 'Start single sign-on',
        description:
          'Redirects to the OpenID Connect provider (authorization code flow with PKCE S256, state and nonce). 404 when single sign-on is not configured; 429 while the client address has 20 logins under way.',
        tags,
        response: { 302: Type.Null({ description: 'Redirect to the provider' }), ...errorResponses(404, 429) },
      },
    },
    async (request, reply) => {
      const { url, state } = await configured().begin(request.ip);
      reply.setCookie(STATE_COOKIE, state, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: cookiePath,
        maxAge: SSO_LOGIN_TTL_SECONDS,
      });
      reply.header('cache-control', 'no-store');
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/api/v1/auth/sso/callback',
    {
      schema: {
        operationId: 'ssoCallback',
        summary: 'Complete single sign-on',
        description:
          'The redirect URI registered at the provider. Answers with an access token like /auth/login; the account is found by (oauth_provider, sub) or created from the claims (verified email only). 401 for a forged, replayed or expired state, a wrong nonce, an ID token for another audience or issuer, an unverified email or an inactive account; 409 when the email belongs to another account.',
        tags,
        querystring: CallbackQuery,
        response: { 200: AccessTokenSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const service = configured();
      const raw = request.cookies[STATE_COOKIE];
      const unsigned = raw === undefined ? undefined : request.unsignCookie(raw);
      reply.clearCookie(STATE_COOKIE, { path: cookiePath });
      reply.header('cache-control', 'no-store');
      const query = Object.fromEntries(
        Object.entries(request.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      return service.complete(
        query,
        unsigned?.valid ? (unsigned.value ?? undefined) : undefined,
        requestContext(request),
      );
    },
  );
};
