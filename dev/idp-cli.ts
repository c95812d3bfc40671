/** `npm run dev:idp`: a local OpenID provider to try Roster's single sign-on by hand. */
import { startDevIdp } from './idp.js';

const port = Number(process.env.DEV_IDP_PORT ?? 9000);
const publicUrl = (process.env.ROSTER_PUBLIC_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');

const idp = await startDevIdp({
  port,
  clients: [
    {
      client_id: 'roster',
      client_secret: 'roster-dev-secret',
      redirect_uris: [`${publicUrl}/api/v1/auth/sso/callback`],
    },
  ],
  accounts: {
    alice: {
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice Example',
      picture: 'https://example.com/alice.png',
    },
    bob: { email: 'bob@example.com', email_verified: true, name: 'Bob Example' },
  },
});

process.stdout.write(`Development OpenID provider at ${idp.issuer}
Test accounts: alice, bob (type the name on its login page; there is no password)

Start Roster against it with:
  ROSTER_OIDC_ISSUER=${idp.issuer} ROSTER_OIDC_CLIENT_ID=roster ROSTER_OIDC_CLIENT_SECRET=roster-dev-secret \\
  ROSTER_OIDC_PROVIDER=dev-idp ROSTER_PUBLIC_URL=${publicUrl} npm start
then open ${publicUrl}/api/v1/auth/sso/login in a browser.
`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void idp.close().then(() => process.exit(0)));
