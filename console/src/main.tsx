/** Roster's console: the layout, the signed-in account, and which page an address shows. */
import type { UserRead } from '@roster/client';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { mayManageWebhooks, type Viewer } from './logic/permissions.js';
import { DevicePage } from './pages/device.js';
import { EventsPage } from './pages/events.js';
import { MyInvitationsPage } from './pages/invitations.js';
import { LoginPage } from './pages/login.js';
import { OrganizationPage } from './pages/organization.js';
import { OrganizationsPage } from './pages/organizations.js';
import { UserPage } from './pages/user.js';
import { WorkspacePage } from './pages/workspace.js';
import { UsersPage } from './pages/users.js';
import { WebhookPage, WebhooksPage } from './pages/webhooks.js';
import { match, navigate, useRoute } from './router.js';
import { currentAccount, onSessionChange, signedIn, signOut, takeSsoResult } from './session.js';
import { ErrorBox, Link, Loading, PageTitle } from './ui.js';
import './styles.css';

// Back from single sign-on: the token comes in the address's fragment (never sent to a server).
const { error: ssoError } = takeSsoResult();

function App() {
  const [session, setSession] = useState(0);
  const [account, setAccount] = useState<{ me?: UserRead; error?: unknown }>({});
  const route = useRoute();
  useEffect(() => onSessionChange(() => setSession((n) => n + 1)), []);
  useEffect(() => {
    setAccount({});
    if (!signedIn()) return;
    currentAccount().then(
      (me) => setAccount({ me }),
      (error: unknown) => setAccount({ error }),
    );
  }, [session]);

  if (!signedIn()) {
    return (
      <Shell>
        <LoginPage
          ssoError={ssoError}
          onSignedIn={() => route.path === '/login' && navigate('/users', { replace: true })}
        />
      </Shell>
    );
  }
  if (account.error) {
    return (
      <Shell>
        <ErrorBox error={account.error} />
        <div class="actions">
          <button type="button" onClick={() => setSession((n) => n + 1)}>
            Try again
          </button>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </Shell>
    );
  }
  if (!account.me) return <Loading />;
  const viewer: Viewer = { me: account.me, roles: new Map() };
  return (
    <Shell viewer={viewer} path={route.path}>
      <Page viewer={viewer} path={route.path} query={route.query} />
    </Shell>
  );
}

function Page({ viewer, path, query }: { viewer: Viewer; path: string; query: URLSearchParams }) {
  if (path === '/' || path === '/login') return <Redirect to="/users" />;
  if (path === '/users') return <UsersPage key={query.toString()} viewer={viewer} query={query} />;
  let params = match('/users/:id', path);
  if (params?.id) return <UserPage key={params.id} viewer={viewer} id={params.id} />;
  if (path === '/organizations') return <OrganizationsPage viewer={viewer} />;
  params = match('/organizations/:id', path);
  if (params?.id) return <OrganizationPage key={params.id} viewer={viewer} id={params.id} />;
  params = match('/workspaces/:id', path);
  if (params?.id) return <WorkspacePage key={params.id} viewer={viewer} id={params.id} />;
  if (path === '/invitations') return <MyInvitationsPage />;
  if (path === '/events') return <EventsPage key={query.toString()} query={query} />;
  if (path === '/webhooks') return <WebhooksPage />;
  params = match('/webhooks/:id', path);
  if (params?.id) return <WebhookPage key={params.id} id={params.id} />;
  if (path === '/device') return <DevicePage viewer={viewer} query={query} />;
  return (
    <section>
      <PageTitle>Not found</PageTitle>
      <p>
        No page here. <Link to="/users">Go to the users</Link>.
      </p>
    </section>
  );
}

/** Goes to another page once rendered (never while rendering). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

const NAV: [string, string, (viewer: Viewer) => boolean][] = [
  ['/users', 'Users', () => true],
  ['/organizations', 'Organizations', () => true],
  ['/invitations', 'My invitations', (v) => !v.me.is_service_account],
  ['/events', 'Events', () => true],
  ['/webhooks', 'Webhooks', mayManageWebhooks],
  ['/device', 'Device login', (v) => !v.me.is_service_account],
];

function Shell({ viewer, path, children }: { viewer?: Viewer; path?: string; children: preact.ComponentChildren }) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header class="top">
        <span class="brand">Roster</span>
        {viewer && (
          <nav aria-label="Main">
            <ul>
              {NAV.filter(([, , visible]) => visible(viewer)).map(([to, label]) => (
                <li key={to}>
                  <Link to={to} current={path?.startsWith(to) ?? false}>
                    {label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {viewer && (
          <div class="account">
            <Link to={`/users/${viewer.me.id}`}>{viewer.me.username}</Link>
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">{children}</main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
