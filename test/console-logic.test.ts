// The console's own logic (console/src/logic), without a browser: the users page's filters and
// their address, the next-page cursor, what a 412 explains, the PATCH body of a form, the
// buttons each kind of account gets, and how values and errors are written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conflictOf, patchOf } from '../console/src/logic/conflict.js';
import { DEFAULT_FILTERS, filtersFrom, filtersToParams, nextCursor, usersQuery } from '../console/src/logic/filters.js';
import { accountKind, describeError, formatValue } from '../console/src/logic/format.js';
import { match } from '../console/src/logic/match.js';
import {
  organizationActions,
  userActions,
  workspaceActions,
  type Account,
  type Role,
  type Viewer,
} from '../console/src/logic/permissions.js';
import { RosterError } from '../clients/typescript/src/index.js';

describe('console: users filters', () => {
  it('round-trips through the page address, keeping only what differs from the defaults', () => {
    const filters = {
      ...DEFAULT_FILTERS,
      search: 'ali',
      is_superuser: 'true' as const,
      show_deactivated: true,
      limit: 50,
    };
    const params = filtersToParams(filters);
    assert.equal(params.toString(), 'search=ali&is_superuser=true&show_deactivated=true&limit=50');
    assert.deepEqual(filtersFrom(params), filters);
    assert.equal(filtersToParams(DEFAULT_FILTERS).toString(), '');
  });

  it('ignores malformed values in the address', () => {
    const filters = filtersFrom(new URLSearchParams('is_superuser=maybe&limit=7&show_deactivated=yes&search=%20x%20'));
    assert.equal(filters.is_superuser, 'any');
    assert.equal(filters.limit, DEFAULT_FILTERS.limit);
    assert.equal(filters.show_deactivated, false);
    assert.equal(filters.search, 'x');
  });

  it('asks for the total, hides deactivated accounts unless shown, and sends every filter set', () => {
    assert.deepEqual(usersQuery(DEFAULT_FILTERS), { limit: 25, include_total: true, is_active: true });
    const all = usersQuery(
      {
        ...DEFAULT_FILTERS,
        search: 's',
        email: 'e@x.org',
        username: 'u',
        oauth_provider: 'p',
        organization_id: 'o',
        is_superuser: 'false',
        is_service_account: 'true',
        show_deactivated: true,
      },
      'cursor-1',
    );
    assert.deepEqual(all, {
      limit: 25,
      include_total: true,
      search: 's',
      email: 'e@x.org',
      username: 'u',
      oauth_provider: 'p',
      organization_id: 'o',
      is_superuser: false,
      is_service_account: true,
      after: 'cursor-1',
    });
  });

  it('takes the cursor of the next page from Link', () => {
    assert.equal(
      nextCursor('</api/v1/users?limit=25&after=abc%3D%3D>; rel="next", </api/v1/users?limit=25>; rel="first"'),
      'abc==',
    );
    assert.equal(nextCursor('</api/v1/users?limit=25>; rel="first"'), undefined);
    assert.equal(nextCursor(null), undefined);
  });
});

describe('console: a 412 explained', () => {
  const base = { name: 'Alice', company: 'Acme', job_title: '' };
  it("lists the other side's changes, this form's, and the fields both changed differently", () => {
    const mine = { name: 'Alice A.', company: 'Acme', job_title: 'Engineer' };
    const current = { name: 'Alice B.', company: 'Initech', job_title: '' };
    const conflict = conflictOf(base, mine, current);
    assert.deepEqual(conflict.theirs, [
      { field: 'name', from: 'Alice', to: 'Alice B.' },
      { field: 'company', from: 'Acme', to: 'Initech' },
    ]);
    assert.deepEqual(
      conflict.mine.map((c) => c.field),
      ['name', 'job_title'],
    );
    assert.deepEqual(conflict.clashing, ['name']);
  });

  it('does not call the same new value on both sides a clash', () => {
    const conflict = conflictOf(base, { ...base, name: 'Same' }, { ...base, name: 'Same' });
    assert.deepEqual(conflict.clashing, []);
  });

  it('sends only the changed fields, an emptied text as null', () => {
    assert.deepEqual(patchOf(base, { name: '', company: 'Acme', job_title: 'CTO' }), { name: null, job_title: 'CTO' });
    assert.deepEqual(patchOf(base, base), {});
    assert.deepEqual(patchOf({ is_superuser: false }, { is_superuser: true }), { is_superuser: true });
  });
});

const account = (over: Partial<Account> = {}): Account => ({
  id: 'a',
  username: 'a',
  is_superuser: false,
  is_service_account: false,
  organization_id: null,
  oauth_provider: null,
  ...over,
});
const viewer = (me: Account, roles: [string, Role][] = []): Viewer => ({ me, roles: new Map(roles) });

describe('console: buttons follow the API rules', () => {
  it('gives a superuser every action on another local account, none on its own activation or superuser flag', () => {
    const admin = viewer(account({ id: 'admin', is_superuser: true }));
    const other = userActions(admin, account({ id: 'x' }));
    assert.deepEqual(Object.values(other).filter((v) => !v).length, 2, JSON.stringify(other));
    assert.equal(other.changeOwnPassword, false);
    assert.equal(other.manageApiKeys, false, 'API keys are for service accounts');
    const self = userActions(admin, admin.me);
    assert.equal(self.setActive, false);
    assert.equal(self.setSuperuser, false);
    assert.equal(self.delete, true);
    // Its own password needs the current one, as for anyone (the API refuses it otherwise).
    assert.equal(self.resetPassword, false);
    assert.equal(self.changeOwnPassword, true);
  });

  it('lets an ordinary account edit and delete itself, change its password with the current one, and nothing else', () => {
    const me = account({ id: 'me' });
    const own = userActions(viewer(me), me);
    assert.deepEqual(own, {
      editProfile: true,
      editIdentity: true,
      setActive: false,
      setSuperuser: false,
      resetPassword: false,
      changeOwnPassword: true,
      clearLoginFailures: false,
      delete: true,
      manageApiKeys: false,
    });
    const other = userActions(viewer(me), account({ id: 'other' }));
    assert.ok(
      Object.values(other).every((allowed) => allowed === false),
      JSON.stringify(other),
    );
  });

  it("lets an organization's admin manage its service accounts, and no one else's", () => {
    const robot = account({ id: 'robot', is_service_account: true, organization_id: 'org1' });
    const admin = userActions(viewer(account({ id: 'me' }), [['org1', 'admin']]), robot);
    assert.equal(admin.editProfile, true);
    assert.equal(admin.setActive, true);
    assert.equal(admin.manageApiKeys, true);
    assert.equal(admin.delete, true);
    assert.equal(admin.setSuperuser, false);
    const editor = userActions(viewer(account({ id: 'me' }), [['org1', 'editor']]), robot);
    assert.equal(editor.manageApiKeys, false);
    assert.equal(editor.editProfile, false);
    const elsewhere = userActions(viewer(account({ id: 'me' }), [['org2', 'admin']]), robot);
    assert.equal(elsewhere.delete, false);
  });

  it('keeps the username and email of an SSO account out of the form', () => {
    const sso = account({ id: 'me', oauth_provider: 'google' });
    const actions = userActions(viewer(sso), sso);
    assert.equal(actions.editProfile, true);
    assert.equal(actions.editIdentity, false);
    assert.equal(actions.changeOwnPassword, false);
  });

  it('gives organization actions by role', () => {
    const me = account({ id: 'me' });
    assert.deepEqual(organizationActions(viewer(me, [['o', 'admin']]), 'o'), {
      edit: true,
      delete: true,
      invite: true,
      changeRoles: true,
      addMembersDirectly: false,
      createWorkspace: true,
      createServiceAccount: true,
    });
    const editor = organizationActions(viewer(me, [['o', 'editor']]), 'o');
    assert.equal(editor.createWorkspace, true);
    assert.equal(editor.invite, false);
    const viewerRole = organizationActions(viewer(me, [['o', 'viewer']]), 'o');
    assert.ok(Object.values(viewerRole).every((allowed) => allowed === false));
    // Superusers administer every organization, members or not.
    const superuser = organizationActions(viewer(account({ is_superuser: true })), 'o');
    assert.ok(
      Object.values(superuser).every((allowed) => allowed === true),
      JSON.stringify(superuser),
    );
  });

  it('gives workspace administration to its organization admins, its own admins and superusers', () => {
    const me = account({ id: 'me' });
    assert.equal(workspaceActions(viewer(me, [['o', 'admin']]), 'o', undefined).administer, true);
    assert.equal(workspaceActions(viewer(me, [['o', 'editor']]), 'o', 'admin').administer, true);
    assert.equal(workspaceActions(viewer(me, [['o', 'editor']]), 'o', 'editor').administer, false);
    assert.equal(workspaceActions(viewer(me, [['o', 'viewer']]), 'o', undefined).administer, false);
    assert.equal(workspaceActions(viewer(account({ is_superuser: true })), 'o', undefined).administer, true);
  });
});

describe('console: words', () => {
  it('writes values and account kinds', () => {
    assert.equal(formatValue(null), '∅');
    assert.equal(formatValue(''), '""');
    assert.equal(formatValue(true), 'true');
    assert.equal(formatValue({ a: 1 }), '{"a":1}');
    assert.equal(
      accountKind({ is_superuser: true, is_service_account: false, oauth_provider: null }),
      'local, superuser',
    );
    assert.equal(
      accountKind({ is_superuser: false, is_service_account: false, oauth_provider: 'google' }),
      'SSO (google)',
    );
    assert.equal(
      accountKind({ is_superuser: false, is_service_account: true, oauth_provider: null }),
      'service account',
    );
  });

  it("shows an API error with the contract's name and says what a 403 means", () => {
    const error = new RosterError(403, 'IllegalOperationError', 'internal user cannot be deactivated');
    assert.equal(
      describeError(error),
      '403 IllegalOperationError: internal user cannot be deactivated (The API refused this for your account.)',
    );
    assert.equal(describeError(new Error('network down')), 'network down');
  });

  it('matches page paths', () => {
    assert.deepEqual(match('/users/:id', '/users/123'), { id: '123' });
    assert.deepEqual(match('/users/:id', '/users/123/'), { id: '123' });
    assert.equal(match('/users/:id', '/users'), undefined);
    assert.equal(match('/users/:id', '/organizations/1'), undefined);
    assert.deepEqual(match('/webhooks/:id', '/webhooks/a%20b'), { id: 'a b' });
    assert.equal(match('/users/:id', '/users/%E0%A4%A'), undefined, 'a malformed escape is no page');
  });
});
