import type {} from '@fastify/cookie';
import { requestContext } from '../../auth/authenticate.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError, KeyError } from '../../domain/errors.js';
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
/** Set when the login started from the console: the callback then hands the token to it. */
const CONSOLE_COOKIE = 'roster_sso_console';
const tags = ['auth'];

const LoginQuery = Type.Object({
  console: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{16,64}$',
      description:
        'Set by the console (/admin): a nonce of the browser tab that starts the login. The callback then redirects to the console with the token and this nonce in the address fragment (which never reaches a server); the console takes only a token that carries its own nonce.',
    }),
  ),
});

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
        querystring: LoginQuery,
        response: { 302: Type.Null({ description: 'Redirect to the provider' }), ...errorResponses(404, 429) },
      },
    },
    async (request, reply) => {
      const { url, state } = await configured().begin(request.ip);
      const cookie = {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: cookiePath,
        maxAge: SSO_LOGIN_TTL_SECONDS,
      } as const;
      reply.setCookie(STATE_COOKIE, state, cookie);
      if (request.query.console) reply.setCookie(CONSOLE_COOKIE, request.query.console, cookie);
      else reply.clearCookie(CONSOLE_COOKIE, { path: cookiePath });
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
        response: {
          200: AccessTokenSchema,
          303: Type.Null({
            description:
              'A login started from the console: back to it, with `access_token`, `expires_in` and the console nonce (or `sso_error` and `nonce`) in the fragment',
          }),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const service = configured();
      const raw = request.cookies[STATE_COOKIE];
      const unsigned = raw === undefined ? undefined : request.unsignCookie(raw);
      const fromConsole = request.cookies[CONSOLE_COOKIE];
      const consoleCookie = fromConsole === undefined ? undefined : request.unsignCookie(fromConsole);
      const nonce = consoleCookie?.valid ? consoleCookie.value : null;
      reply.clearCookie(STATE_COOKIE, { path: cookiePath });
      reply.clearCookie(CONSOLE_COOKIE, { path: cookiePath });
      reply.header('cache-control', 'no-store');
      const query = Object.fromEntries(
        Object.entries(request.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      const completing = service.complete(
        query,
        unsigned?.valid ? (unsigned.value ?? undefined) : undefined,
        requestContext(request),
      );
      if (!nonce) return completing;
      // The console reads the fragment and drops it from the address at once.
      const consolePath = `${external ? external.pathname.replace(/\/+$/, '') : ''}/admin/`;
      try {
        const token = await completing;
        const fragment = new URLSearchParams({
          access_token: token.access_token,
          expires_in: String(token.expires_in),
          nonce,
        });
        return reply.redirect(`${consolePath}#${fragment}`, 303);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return reply.redirect(`${consolePath}#${new URLSearchParams({ sso_error: error.message, nonce })}`, 303);
      }
    },
  );
};
