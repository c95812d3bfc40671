// The console (/admin) end to end: Debian's Chromium driven by playwright-core against a real
// server process on each engine. Sign in with the keyboard, search and page, edit with a
// conflict from a second session, dry-run then delete, create an organization, invite and
// accept with a second account, a service account key shown once, an event followed live, a
// device login approved, what a non-superuser sees and a 403 shown; every page scanned by
// axe-core and laid out at 360 px; the assets' caching, CSP and size.
// With ROSTER_CONSOLE_SCREENSHOTS=<dir> it also saves screenshots of the main pages there
// (`npm run screenshots` writes docs/console/).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { engines, freshDatabase, PASSWORD, type FreshDatabase } from './helpers.js';
import { startServer, type Started } from './process.js';
import { launchBrowser, newSession, overflowsHorizontally, seriousViolations, signIn } from './browser.js';
import { createServer } from 'node:net';
import { startDevIdp, type DevIdp } from '../dev/idp.js';

const ADMIN = 'console-test-admin-password';
const SCREENSHOTS = process.env.ROSTER_CONSOLE_SCREENSHOTS;
const DEADLINE = { timeout: 15_000 };

interface Api {
  token: string;
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; headers: Headers }>;
}

for (const engine of SCREENSHOTS ? (['sqlite'] as const) : engines()) {
  describe(`the console [${engine}]`, () => {
    let database: FreshDatabase;
    let server: Started;
    let browser: Browser;
    let admin: Api;
    const sessions: BrowserContext[] = [];
    const users: Record<string, { id: string; password: string }> = {};
    /** What the console threw in any page during a test: each test ends with none. */
    const pageErrors: string[] = [];
    afterEach(() => assert.deepEqual(pageErrors.splice(0), [], 'the console threw'));

    async function apiAs(username: string, password: string): Promise<Api> {
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      const token = ((await login.json()) as { access_token: string }).access_token;
      return {
        token,
        call: async (method, path, body) => {
          const response = await fetch(`${server.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          const text = await response.text();
          return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
        },
      };
    }

    async function createUser(username: string, extra: Record<string, unknown> = {}) {
      const created = await admin.call('POST', '/api/v1/users', { username, password: PASSWORD, ...extra });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      users[username] = { id: created.body.id, password: PASSWORD };
      return created.body as { id: string };
    }

    async function page(width = 1280): Promise<Page> {
      const session = await newSession(browser, width);
      sessions.push(session);
      const opened = await session.newPage();
      opened.on('pageerror', (error) => pageErrors.push(error.message));
      return opened;
    }

    async function signedIn(username: string, password = PASSWORD, width = 1280): Promise<Page> {
      const opened = await page(width);
      await signIn(opened, server.url, username, password);
      return opened;
    }

    const heading = (on: Page, name: string) =>
      on.getByRole('heading', { level: 1, name, exact: true }).waitFor(DEADLINE);
    const shot = async (on: Page, name: string) => {
      if (!SCREENSHOTS) return;
      mkdirSync(SCREENSHOTS, { recursive: true });
      await on.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    };

    before(async () => {
      database = await freshDatabase(engine);
      server = await startServer({
        ROSTER_DATABASE_URL: database.processUrl,
        ROSTER_ADMIN_PASSWORD: ADMIN,
        ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
        ROSTER_LOG_LEVEL: 'warn',
      });
      admin = await apiAs('admin', ADMIN);
      await createUser('alice', { email: 'alice@example.com', name: 'Alice Example', company: 'Acme' });
      await createUser('bob', { email: 'bob@example.com', name: 'Bob Example' });
      await createUser('carol', { email: 'carol@example.com', is_superuser: true });
      for (let i = 0; i < 30; i++) await createUser(`pager-${String(i).padStart(2, '0')}`);
      browser = await launchBrowser();
    });
    after(async () => {
      for (const session of sessions) await session.close().catch(() => undefined);
      await browser?.close();
      await server?.stop();
      await database?.drop();
    });

    it('signs in with the keyboard, and refuses a wrong password with the API error', async () => {
      const wrong = await page();
      await wrong.goto(`${server.url}/admin/`);
      await heading(wrong, 'Sign in to Roster');
      await shot(wrong, 'sign-in');
      await wrong.getByLabel('Username or email').fill('admin');
      await wrong.getByLabel('Password').fill('not-the-password');
      await wrong.keyboard.press('Enter');
      await wrong.getByRole('alert').filter({ hasText: '401 AuthorizationException' }).waitFor(DEADLINE);
      const right = await signedIn('admin', ADMIN);
      await heading(right, 'Users');
      assert.match(right.url(), /\/admin\/users$/);
    });

    it('works with the keyboard alone: skip link, focus on each page heading, a visible focus ring', async () => {
      const on = await page();
      await on.goto(`${server.url}/admin/`);
      await heading(on, 'Sign in to Roster');
      const focused = () =>
        on.evaluate(() => {
          const element = document.activeElement as HTMLElement | null;
          const style = element ? getComputedStyle(element) : undefined;
          return {
            tag: element?.tagName,
            text: element?.textContent?.trim(),
            outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
          };
        });
      // A page opens with the focus on its heading; the skip link comes first in the tab order.
      await on.waitForFunction(() => document.activeElement?.tagName === 'H1', null, DEADLINE);
      const title = { ...(await focused()), outline: undefined };
      assert.deepEqual(title, { tag: 'H1', text: 'Sign in to Roster', outline: undefined });
      await on.keyboard.press('Shift+Tab');
      const skip = await focused();
      assert.deepEqual([skip.tag, skip.text], ['A', 'Skip to the content']);
      assert.equal(skip.outline, 'solid 3px');
      await signIn(on, server.url, 'admin', ADMIN);
      // The heading takes the focus once the page has rendered.
      await on.waitForFunction(() => document.activeElement?.tagName === 'H1', null, DEADLINE);
      assert.deepEqual({ ...(await focused()), outline: undefined }, { tag: 'H1', text: 'Users', outline: undefined });
      await on.keyboard.press('Tab');
      const search = await focused();
      assert.equal(search.tag, 'INPUT');
      assert.equal(search.outline, 'solid 3px', 'the focused control shows its ring');
      await on.keyboard.type('alice');
      await on.keyboard.press('Enter');
      await on.getByTestId('total').filter({ hasText: '1 matching' }).waitFor(DEADLINE);
      // Tab on to the account's link and open it.
      for (let i = 0; i < 40 && (await focused()).text !== 'alice'; i++) await on.keyboard.press('Tab');
      assert.equal((await focused()).text, 'alice');
      await on.keyboard.press('Enter');
      await heading(on, 'alice');
      await on.waitForFunction(() => document.activeElement?.tagName === 'H1', null, DEADLINE);
      assert.deepEqual({ ...(await focused()), outline: undefined }, { tag: 'H1', text: 'alice', outline: undefined });
    });

    it('searches, filters, pages with the keyset cursor and shows deactivated accounts on request', async () => {
      assert.equal(
        (await admin.call('PATCH', `/api/v1/users/${users['pager-00']!.id}`, { is_active: false })).status,
        200,
      );
      const on = await signedIn('admin', ADMIN);
      await on.getByLabel('Search', { exact: true }).fill('pager');
      await on.getByRole('button', { name: 'Apply' }).click();
      await on.getByTestId('total').filter({ hasText: '29 matching' }).waitFor(DEADLINE);
      assert.equal(await on.locator('tbody tr').count(), 25);
      await on.getByRole('button', { name: 'Next page' }).click();
      await on.waitForFunction(() => document.querySelectorAll('tbody tr').length === 4, null, DEADLINE);
      assert.ok(await on.getByRole('button', { name: 'Next page' }).isDisabled());
      await on.getByRole('button', { name: 'Previous page' }).click();
      await on.waitForFunction(() => document.querySelectorAll('tbody tr').length === 25, null, DEADLINE);
      await on.getByLabel('Show deactivated accounts').check();
      await on.getByTestId('total').filter({ hasText: '30 matching' }).waitFor(DEADLINE);
      assert.match(on.url(), /search=pager&show_deactivated=true/);
      await on.getByRole('cell', { name: 'deactivated' }).first().waitFor(DEADLINE);
      // Every filter reaches the API: superusers only.
      await on.getByLabel('Search', { exact: true }).fill('');
      await on.getByLabel('Superuser').selectOption('true');
      await on.getByRole('button', { name: 'Apply' }).click();
      await on.getByTestId('total').filter({ hasText: '2 matching' }).waitFor(DEADLINE);
      await on.getByRole('link', { name: 'carol' }).waitFor(DEADLINE);
      await on.goto(`${server.url}/admin/users?search=ali`);
      await on.getByTestId('total').filter({ hasText: '1 matching' }).waitFor(DEADLINE);
      await on.getByRole('link', { name: 'alice' }).waitFor(DEADLINE);
      await shot(on, 'users');
    });

    it('edits with If-Match, and explains a 412 with the change saved from another session', async () => {
      const alice = users.alice!.id;
      const first = await signedIn('admin', ADMIN);
      await first.goto(`${server.url}/admin/users/${alice}`);
      await heading(first, 'alice');
      // A second person opens the same account and saves first.
      const second = await signedIn('carol');
      await second.goto(`${server.url}/admin/users/${alice}`);
      await heading(second, 'alice');
      await second.getByLabel('Job title', { exact: true }).fill('Saved by Carol');
      await second.getByRole('button', { name: 'Save', exact: true }).click();
      await waitFor(
        async () => (await admin.call('GET', `/api/v1/users/${alice}`)).body.job_title === 'Saved by Carol',
      );

      await first.getByLabel('Job title', { exact: true }).fill('Saved by Admin');
      await first.getByLabel('Name', { exact: true }).fill('Alice Renamed');
      await first.getByRole('button', { name: 'Save', exact: true }).click();
      const conflict = first.getByTestId('conflict');
      await conflict.waitFor(DEADLINE);
      const explained = (await conflict.textContent()) ?? '';
      assert.match(explained, /412 PreconditionFailed/);
      assert.match(explained, /Job title: ∅ → Saved by Carol/);
      assert.match(explained, /You both changed: Job title/);
      await shot(first, 'user-conflict');
      assert.deepEqual(await seriousViolations(first), [], 'the page with a conflict shown');
      const unchanged = (await admin.call('GET', `/api/v1/users/${alice}`)).body;
      assert.equal(unchanged.job_title, 'Saved by Carol', 'a refused save changes nothing');
      assert.equal(unchanged.name, 'Alice Example');

      // Take their version: their job title stays, this form's other change is kept and saved.
      await first.getByRole('button', { name: 'Take their version' }).click();
      assert.equal(await first.getByLabel('Job title', { exact: true }).inputValue(), 'Saved by Carol');
      assert.equal(await first.getByLabel('Name', { exact: true }).inputValue(), 'Alice Renamed');
      await first.getByRole('button', { name: 'Save', exact: true }).click();
      await waitFor(async () => (await admin.call('GET', `/api/v1/users/${alice}`)).body.name === 'Alice Renamed');
      assert.equal((await admin.call('GET', `/api/v1/users/${alice}`)).body.job_title, 'Saved by Carol');

      // Carol's form is now the stale one. She changes another field: 412, and "Keep mine" keeps
      // her change on top of the current version, so the admin's rename is not undone.
      await second.getByLabel('Company', { exact: true }).fill('Initech');
      await second.getByRole('button', { name: 'Save', exact: true }).click();
      await second.getByTestId('conflict').filter({ hasText: 'Name: Alice Example → Alice Renamed' }).waitFor(DEADLINE);
      await second.getByRole('button', { name: 'Keep mine (save again to overwrite)' }).click();
      assert.equal(await second.getByLabel('Name', { exact: true }).inputValue(), 'Alice Renamed');
      await second.getByRole('button', { name: 'Save', exact: true }).click();
      await waitFor(async () => (await admin.call('GET', `/api/v1/users/${alice}`)).body.company === 'Initech');
      const merged = (await admin.call('GET', `/api/v1/users/${alice}`)).body;
      assert.equal(merged.name, 'Alice Renamed');
      assert.equal(merged.job_title, 'Saved by Carol');
    });

    it('previews a delete (what goes, what blocks) and then deletes', async () => {
      const leaving = await createUser('leaving', { email: 'leaving@example.com' });
      const org = await admin.call('POST', '/api/v1/organizations', { name: `kept-${engine}` });
      assert.equal(org.status, 201);
      assert.equal(
        (await admin.call('PUT', `/api/v1/organizations/${org.body.id}/members/${leaving.id}`, { role: 'viewer' }))
          .status,
        200,
      );
      const on = await signedIn('admin', ADMIN);
      await on.goto(`${server.url}/admin/users/${leaving.id}`);
      await heading(on, 'leaving');
      await on.getByRole('button', { name: 'Preview delete' }).click();
      const plan = on.getByTestId('deletion-plan');
      await plan.waitFor(DEADLINE);
      assert.match(
        (await plan.textContent()) ?? '',
        new RegExp(`membership of organization kept-${engine} \\(viewer\\)`),
      );
      assert.equal((await admin.call('GET', `/api/v1/users/${leaving.id}`)).status, 200, 'a preview deletes nothing');
      await shot(on, 'user-delete-preview');
      assert.deepEqual(await seriousViolations(on), [], 'the page with a deletion plan');
      assert.equal(
        await on.evaluate(() => document.activeElement?.textContent),
        'What goes',
        'the focus goes to the plan',
      );
      await on.getByRole('button', { name: 'Delete leaving' }).click();
      await heading(on, 'Users');
      assert.equal((await admin.call('GET', `/api/v1/users/${leaving.id}`)).status, 404);

      // The last admin of an organization: the preview names the blocker and Delete stays disabled.
      const owner = await createUser('owner');
      const ownerApi = await apiAs('owner', PASSWORD);
      assert.equal((await ownerApi.call('POST', '/api/v1/organizations', { name: `owned-${engine}` })).status, 201);
      await on.goto(`${server.url}/admin/users/${owner.id}`);
      await on.getByRole('button', { name: 'Preview delete' }).click();
      await on.locator('.blockers li').first().waitFor(DEADLINE);
      assert.ok(await on.getByRole('button', { name: 'Delete owner' }).isDisabled());
    });

    it('creates an organization, invites an account, and the invitee accepts in its own session', async () => {
      const on = await signedIn('alice');
      await on.getByRole('link', { name: 'Organizations' }).click();
      await heading(on, 'Organizations');
      await on.getByLabel('Organization name').fill(`acme-${engine}`);
      await on.getByLabel('Description').fill('The Acme company');
      await on.getByRole('button', { name: 'Create organization' }).click();
      await heading(on, `acme-${engine}`);
      await on.getByText('your role: admin').waitFor(DEADLINE);
      // By email: an admin cannot see accounts outside its organizations, and learns nothing from the answer.
      await on.getByLabel('Email or account id to invite').fill('bob@example.com');
      await on.getByLabel('Invited role').selectOption('editor');
      await on.getByRole('button', { name: 'Invite', exact: true }).click();
      await on.getByRole('status').filter({ hasText: 'They become a member when they accept' }).waitFor(DEADLINE);
      await on.getByRole('cell', { name: 'pending' }).waitFor(DEADLINE);

      const bob = await signedIn('bob');
      await bob.getByRole('link', { name: 'My invitations' }).click();
      await heading(bob, 'My invitations');
      await bob.getByText(`Join acme-${engine} as editor`).waitFor(DEADLINE);
      await shot(bob, 'invitations');
      await bob.getByRole('button', { name: 'Accept' }).click();
      await bob.getByText('No pending invitation.').waitFor(DEADLINE);

      await on.reload();
      await on.getByRole('combobox', { name: 'Role of bob' }).waitFor(DEADLINE);
      assert.equal(await on.getByRole('combobox', { name: 'Role of bob' }).inputValue(), 'editor');
      await on.getByRole('cell', { name: 'accepted' }).waitFor(DEADLINE);

      // A role is changed with its own button, not by moving through the list.
      await on.getByRole('combobox', { name: 'Role of bob' }).selectOption('viewer');
      await on.getByRole('button', { name: 'Save role of bob' }).click();
      await on.getByRole('button', { name: 'Save role of bob' }).waitFor({ state: 'detached', ...DEADLINE });
      const aliceApi = await apiAs('alice', PASSWORD);
      const orgId = new URL(on.url()).pathname.split('/').pop()!;
      const members = (await aliceApi.call('GET', `/api/v1/organizations/${orgId}/members`)).body as {
        user: { username: string };
        role: string;
      }[];
      assert.equal(members.find((m) => m.user.username === 'bob')?.role, 'viewer');

      // A workspace, with a member added and renamed on its own page.
      await on.getByLabel('Workspace name').fill('ml');
      await on.getByRole('button', { name: 'Create workspace' }).click();
      await on.getByRole('link', { name: 'ml', exact: true }).click();
      await heading(on, 'ml');
      await on.getByLabel('Account id to add').fill(users.bob!.id);
      await on.getByLabel('Role', { exact: true }).selectOption('editor');
      await on.getByRole('button', { name: 'Add to the workspace' }).click();
      await on.getByRole('combobox', { name: 'Role of bob' }).waitFor(DEADLINE);
      await on.getByLabel('Workspace name').fill('ml-platform');
      await on.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(on, 'ml-platform');
      assert.deepEqual(await seriousViolations(on), [], 'the workspace page');
      await on.goBack();
      await heading(on, `acme-${engine}`);
      await on.getByRole('link', { name: 'ml-platform' }).waitFor(DEADLINE);
      await shot(on, 'organization');
    });

    it('creates a service account and an API key that is shown once and works', async () => {
      const on = await signedIn('alice');
      const orgs = (await (await apiAs('alice', PASSWORD)).call('GET', '/api/v1/organizations')).body as {
        id: string;
        name: string;
      }[];
      const org = orgs.find((o) => o.name === `acme-${engine}`)!;
      await on.goto(`${server.url}/admin/organizations/${org.id}`);
      await on.getByLabel('Service account username').fill(`deployer-${engine}`);
      await on.getByRole('button', { name: 'Create service account' }).click();
      await heading(on, `deployer-${engine}`);
      await on.getByLabel('Key name').fill('ci');
      await on.getByRole('button', { name: 'Create key' }).click();
      const secret = on.getByTestId('secret');
      await secret.waitFor(DEADLINE);
      const key = (await secret.textContent()) ?? '';
      await on.getByRole('button', { name: 'Copy', exact: true }).click();
      await on.getByRole('button', { name: 'Copied' }).waitFor(DEADLINE);
      assert.equal(await on.evaluate(() => navigator.clipboard.readText()), key);
      await shot(on, 'service-account-key');
      assert.deepEqual(await seriousViolations(on), [], 'the page with a new key shown');
      const me = await fetch(`${server.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as { username: string }).username, `deployer-${engine}`);
      await on.reload();
      await on.getByRole('cell', { name: 'ci', exact: true }).waitFor(DEADLINE);
      assert.equal(await on.getByTestId('secret').count(), 0, 'the key is not shown again');
      assert.ok(!(await on.content()).includes(key));
    });

    it('follows the event feed live', async () => {
      const on = await signedIn('admin', ADMIN);
      await on.getByRole('link', { name: 'Events' }).click();
      await heading(on, 'Events');
      await on.getByLabel('Types').fill('user.updated');
      await on.getByLabel('Target id').fill(users.bob!.id);
      await on.getByRole('button', { name: 'Apply' }).click();
      await on.getByText('No event matches.').waitFor(DEADLINE);
      // The change is made only once the console is waiting for it.
      const waiting = on.waitForRequest((request) => request.url().includes('wait=25'), DEADLINE);
      await on.getByLabel('Follow live').check();
      await waiting;
      assert.equal(
        (await admin.call('PATCH', `/api/v1/users/${users.bob!.id}`, { company: 'Followed Inc' })).status,
        200,
      );
      await on.getByRole('cell', { name: /company: ∅ → Followed Inc/ }).waitFor(DEADLINE);
      await on.getByRole('status').filter({ hasText: 'Following: 1 new event since.' }).waitFor(DEADLINE);
      await shot(on, 'events');
    });

    it('approves a device login on /admin/device', async () => {
      const start = await fetch(`${server.url}/api/v1/auth/device_authorization`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'zenml-cli' }),
      });
      const authorization = (await start.json()) as {
        device_code: string;
        user_code: string;
        verification_uri_complete: string;
      };
      const on = await signedIn('bob');
      await on.goto(`${server.url}${authorization.verification_uri_complete}`);
      await heading(on, 'Sign in a device');
      assert.equal(await on.getByLabel('Code shown by the device').inputValue(), authorization.user_code);
      await shot(on, 'device');
      await on.getByRole('button', { name: 'Approve' }).click();
      await on.getByRole('status').filter({ hasText: 'signed in as bob' }).waitFor(DEADLINE);
      const poll = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: authorization.device_code,
        }),
      });
      assert.equal(poll.status, 200);
      const token = ((await poll.json()) as { access_token: string }).access_token;
      const me = await fetch(`${server.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(((await me.json()) as { username: string }).username, 'bob');
    });

    it("shows a non-superuser its own slice without the buttons it may not use, and shows the API's 403", async () => {
      // Bob and Alice share an organization, where neither is an admin.
      const shared = await admin.call('POST', '/api/v1/organizations', { name: `slice-${engine}` });
      for (const name of ['alice', 'bob']) {
        const added = await admin.call('PUT', `/api/v1/organizations/${shared.body.id}/members/${users[name]!.id}`, {
          role: 'viewer',
        });
        assert.equal(added.status, 200);
      }
      const bob = await signedIn('bob');
      await heading(bob, 'Users');
      assert.equal(await bob.getByRole('link', { name: 'Webhooks' }).count(), 0);
      assert.equal(await bob.getByRole('button', { name: 'New account' }).count(), 0);
      // Bob sees himself and the members of his organization, not the whole directory.
      await bob.getByRole('link', { name: 'bob' }).first().waitFor(DEADLINE);
      assert.equal(await bob.getByRole('link', { name: 'carol' }).count(), 0);
      await bob.goto(`${server.url}/admin/users/${users.carol!.id}`);
      await bob.getByRole('alert').filter({ hasText: '404 KeyError' }).waitFor(DEADLINE);
      await bob.goto(`${server.url}/admin/users/${users.alice!.id}`);
      await heading(bob, 'alice');
      assert.equal(await bob.getByRole('button', { name: 'Save', exact: true }).count(), 0);
      assert.equal(await bob.getByRole('button', { name: 'Deactivate' }).count(), 0);
      assert.equal(await bob.getByRole('button', { name: 'Preview delete' }).count(), 0);
      // A refusal the console cannot foresee (the internal account) is shown as the API's answer.
      const carol = await signedIn('carol');
      const internal = (await admin.call('GET', '/api/v1/users/me')).body.id as string;
      await carol.goto(`${server.url}/admin/users/${internal}`);
      await heading(carol, 'admin');
      await carol.getByRole('button', { name: 'Deactivate' }).click();
      await carol.getByRole('alert').filter({ hasText: '403 IllegalOperationError' }).waitFor(DEADLINE);
      assert.equal((await admin.call('GET', `/api/v1/users/${internal}`)).body.is_active, true);
    });

    it('has no serious or critical axe finding on any page, and no layout break at 360 px', async () => {
      const hook = await admin.call('POST', '/api/v1/webhooks', {
        url: 'http://127.0.0.1:9/hook',
        event_types: ['user.*'],
      });
      assert.equal(hook.status, 201);
      const org = await admin.call('POST', '/api/v1/organizations', { name: `scanned-${engine}` });
      assert.equal(org.status, 201);
      const pages: [string, string][] = [
        ['/users', 'Users'],
        [`/users/${users.alice!.id}`, 'alice'],
        ['/organizations', 'Organizations'],
        [`/organizations/${org.body.id}`, `scanned-${engine}`],
        ['/invitations', 'My invitations'],
        ['/events', 'Events'],
        ['/webhooks', 'Webhooks'],
        [`/webhooks/${hook.body.id}`, 'Webhook'],
        ['/device', 'Sign in a device'],
      ];
      const signedOut = await page(360);
      await signedOut.goto(`${server.url}/admin/`);
      await heading(signedOut, 'Sign in to Roster');
      assert.deepEqual(await seriousViolations(signedOut), [], 'sign-in page');
      assert.equal(await overflowsHorizontally(signedOut), false, 'sign-in page at 360 px');
      for (const width of [1280, 360]) {
        const on = await signedIn('admin', ADMIN, width);
        for (const [path, title] of pages) {
          await on.goto(`${server.url}/admin${path}`);
          if (title) await heading(on, title);
          else await on.locator('h1').waitFor(DEADLINE);
          // Every section of the page has loaded.
          await on.waitForLoadState('networkidle');
          assert.deepEqual(await seriousViolations(on), [], `${path} at ${width} px`);
          if (width === 360 && (await overflowsHorizontally(on))) {
            if (process.env.ROSTER_CONSOLE_DEBUG)
              await on.screenshot({ path: '/tmp/console-overflow.png', fullPage: true });
            assert.fail(`${path} overflows at 360 px`);
          }
        }
        if (width === 360) await shot(on, 'webhook-360px');
        if (process.env.ROSTER_CONSOLE_DEBUG)
          await on.screenshot({ path: `/tmp/console-${width}.png`, fullPage: true });
      }
    });

    it('asks once more before an action that cannot be undone (deleting a webhook)', async () => {
      const hook = await admin.call('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/gone', event_types: ['*'] });
      const on = await signedIn('admin', ADMIN);
      await on.goto(`${server.url}/admin/webhooks/${hook.body.id}`);
      await heading(on, 'Webhook');
      await on.getByRole('button', { name: 'Delete webhook' }).click();
      await on.getByRole('button', { name: 'Confirm: Delete webhook' }).waitFor(DEADLINE);
      assert.equal(
        (await admin.call('GET', `/api/v1/webhooks/${hook.body.id}`)).status,
        200,
        'one press deletes nothing',
      );
      await on.keyboard.press('Escape');
      await on.getByRole('button', { name: 'Delete webhook', exact: true }).waitFor(DEADLINE);
      await on.getByRole('button', { name: 'Delete webhook', exact: true }).click();
      await on.getByRole('button', { name: 'Confirm: Delete webhook' }).click();
      await heading(on, 'Webhooks');
      assert.equal((await admin.call('GET', `/api/v1/webhooks/${hook.body.id}`)).status, 404);
    });

    it('serves hashed assets for a year, the page with a strict CSP and no inline script, under 250 KB gzip', async () => {
      const response = await fetch(`${server.url}/admin/users`);
      assert.equal(response.status, 200);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      const html = await response.text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.ok(scripts.length > 0);
      for (const [, attributes, body] of scripts) {
        assert.match(attributes!, /\bsrc="/, 'every script is a file');
        assert.equal(body!.trim(), '');
      }
      assert.doesNotMatch(html, /<style\b|\sstyle="/);
      const assets = [...html.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')));
      let gzipped = 0;
      for (const asset of assets) {
        assert.match(asset, /-[A-Za-z0-9_-]{8,}\.(js|css)$/, 'asset names carry their hash');
        const file = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
        assert.equal(file.status, 200);
        assert.equal(file.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        gzipped += gzipSync(Buffer.from(await file.arrayBuffer()), { level: 9 }).length;
      }
      assert.ok(gzipped < 250 * 1024, `the first page's assets are ${gzipped} bytes gzipped`);
      const compressed = await fetch(`${server.url}${assets[0]}`, { headers: { 'accept-encoding': 'br, gzip' } });
      assert.equal(compressed.headers.get('content-encoding'), 'br');
      const missing = await fetch(`${server.url}/admin/assets/nothing-here.js`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { detail: string[] }).detail[0], 'KeyError');
    });
  });
}

for (const engine of SCREENSHOTS ? [] : engines()) {
  describe(`the console's single sign-on [${engine}]`, () => {
    let database: FreshDatabase;
    let idp: DevIdp;
    let server: Started;
    let browser: Browser;

    before(async () => {
      // The provider must know Roster's callback before Roster starts: take a free port first.
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      idp = await startDevIdp({
        clients: [
          {
            client_id: 'roster',
            client_secret: 'console-sso-secret',
            redirect_uris: [`${publicUrl}/api/v1/auth/sso/callback`],
          },
        ],
        accounts: { dana: { email: 'dana@example.com', email_verified: true, name: 'Dana Example' } },
      });
      database = await freshDatabase(engine);
      server = await startServer({
        ROSTER_DATABASE_URL: database.processUrl,
        ROSTER_ADMIN_PASSWORD: ADMIN,
        ROSTER_PORT: String(port),
        ROSTER_PUBLIC_URL: publicUrl,
        ROSTER_OIDC_ISSUER: idp.issuer,
        ROSTER_OIDC_CLIENT_ID: 'roster',
        ROSTER_OIDC_CLIENT_SECRET: 'console-sso-secret',
        ROSTER_OIDC_PROVIDER: 'dev-idp',
        ROSTER_LOG_LEVEL: 'info',
      });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      await idp?.close();
      await database?.drop();
    });

    it('signs in through the provider and comes back signed in, with the token gone from the address', async () => {
      const session = await newSession(browser);
      const on = await session.newPage();
      await on.goto(`${server.url}/admin/`);
      await on.getByRole('button', { name: 'Sign in with dev-idp' }).click();
      await on.locator('input[name="login"]').waitFor(DEADLINE);
      await on.locator('input[name="login"]').fill('dana');
      await on.locator('input[name="password"]').fill('unused');
      await on.locator('button[type="submit"]').click();
      await on.getByRole('button', { name: 'Continue' }).click();
      await on.getByRole('button', { name: 'Sign out' }).waitFor(DEADLINE);
      await on.getByRole('link', { name: 'dana@example.com' }).first().waitFor(DEADLINE);
      const address = new URL(on.url());
      assert.equal(address.pathname, '/admin/users');
      assert.equal(address.hash, '', 'the token is not left in the address');
      assert.match(server.output(), /sso\/callback/, 'the callback request is logged');
      assert.doesNotMatch(server.output(), /access_token/, 'the token never reaches the logs');
      // Signing out revokes the token: the next load asks to sign in again.
      await on.getByRole('button', { name: 'Sign out' }).click();
      await on.getByRole('heading', { level: 1, name: 'Sign in to Roster' }).waitFor(DEADLINE);
      // Back through the history: no entry holds the token (the console replaced it).
      const visited: string[] = [on.url()];
      for (let back = 0; back < 6; back++) {
        await on.goBack().catch(() => null);
        visited.push(on.url());
      }
      assert.ok(
        visited.some((url) => url.startsWith(idp.issuer)),
        `the walk reached the provider: ${visited}`,
      );
      for (const url of visited) assert.doesNotMatch(url, /access_token/, 'the history holds no token');
      await session.close();
    });

    it('takes no token planted in a link (the tab did not start a login)', async () => {
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password: ADMIN }),
      });
      const token = ((await login.json()) as { access_token: string }).access_token;
      const session = await newSession(browser);
      const on = await session.newPage();
      await on.goto(`${server.url}/admin/#access_token=${token}&expires_in=3600&nonce=guessed-nonce-000000`);
      await on.getByRole('heading', { level: 1, name: 'Sign in to Roster' }).waitFor(DEADLINE);
      assert.equal(new URL(on.url()).hash, '', 'the fragment is dropped');
      assert.equal(await on.evaluate(() => sessionStorage.length), 0);
      await session.close();
    });

    it('says why when the provider sends the browser back with an error', async () => {
      const session = await newSession(browser);
      const on = await session.newPage();
      await on.goto(`${server.url}/admin/`);
      await on.getByRole('button', { name: 'Sign in with dev-idp' }).click();
      await on.locator('input[name="login"]').waitFor(DEADLINE);
      // The person abandons the login: the callback comes with a provider error.
      await on.goto(`${server.url}/api/v1/auth/sso/callback?error=access_denied&state=abandoned`);
      await on.getByRole('alert').filter({ hasText: 'Single sign-on failed' }).waitFor(DEADLINE);
      assert.equal(new URL(on.url()).hash, '');
      await session.close();
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
