/**
 * The persistence contract, below HTTP, on both engines: what each repository
 * answers and what the database refuses, as typed errors. A new engine or a
 * changed query is checked here before any HTTP suite runs into it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { openDatabase, type DatabaseHandle } from '../src/db/dialect.js';
import { ForeignKeyViolation, UniqueViolation } from '../src/db/errors.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { AccessRepository } from '../src/auth/access.repository.js';
import { InvitationsRepository } from '../src/modules/invitations/invitations.repository.js';
import { LoginFailuresRepository } from '../src/modules/throttle/login-failures.repository.js';
import { OrganizationsRepository } from '../src/modules/organizations/organizations.repository.js';
import { SessionsRepository } from '../src/modules/sessions/sessions.repository.js';
import { SsoLoginsRepository } from '../src/modules/sso/sso-logins.repository.js';
import { UsersRepository } from '../src/modules/users/users.repository.js';
import { engines, freshDatabase, type FreshDatabase } from './helpers.js';

const T0 = '2026-11-27T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

for (const engine of engines()) {
  describe(`repositories [${engine}]`, () => {
    let database: FreshDatabase;
    let handle: DatabaseHandle;
    let users: UsersRepository;
    let organizations: OrganizationsRepository;
    before(async () => {
      database = await freshDatabase(engine);
      handle = await openDatabase(database.processUrl, { poolSize: 2 });
      await migrateToLatest(handle.db);
      users = new UsersRepository(handle.db);
      organizations = new OrganizationsRepository(handle.db);
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    const newUser = (username: string, extra: Record<string, unknown> = {}, created = T0) =>
      users.insert(uuidv7(), { username, ...extra }, created);

    describe('users', () => {
      it('stores and reads back an account, engine-neutral values included', async () => {
        const user = await newUser('Repo-Ann', {
          email: 'Ann@Example.com',
          email_verified: true,
          metadata: { a: [1, 'b'] },
          is_onboarded: true,
        });
        const found = await users.findById(user.id);
        assert.deepEqual(found, user);
        assert.equal(found?.is_onboarded, true);
        assert.equal(found?.is_active, true);
        assert.deepEqual(found?.metadata, { a: [1, 'b'] });
        assert.equal(found?.created, T0);
        assert.equal(found?.version, 1);
      });

      it('refuses a taken username or email case-insensitively, as a UniqueViolation naming the column', async () => {
        await newUser('repo-bo', { email: 'bo@example.com' });
        await assert.rejects(
          newUser('REPO-BO'),
          (error: unknown) => error instanceof UniqueViolation && /username/.test(error.target),
        );
        await assert.rejects(
          newUser('repo-bo2', { email: 'BO@example.com' }),
          (error: unknown) => error instanceof UniqueViolation && /email/.test(error.target),
        );
      });

      it('finds logins by username or verified email only; login names share one namespace', async () => {
        const verified = await newUser('repo-cy', { email: 'cy@example.com', email_verified: true });
        await newUser('repo-di', { email: 'di@example.com' });
        assert.equal((await users.findByLogin('REPO-CY'))?.id, verified.id);
        assert.equal((await users.findByLogin('CY@example.com'))?.id, verified.id);
        assert.equal(await users.findByLogin('di@example.com'), undefined, 'an unverified email is no login name');
        assert.equal(await users.loginNameTaken('di@example.com'), true, 'but it is taken');
        assert.equal(await users.loginNameTaken('cy@example.com', verified.id), false, 'except for its own account');
      });

      it('updates with a compare-and-set on the version', async () => {
        const user = await newUser('repo-ed');
        const first = await users.update(user.id, user.version, { name: 'Ed' }, at(1));
        assert.equal(first?.version, 2);
        assert.equal(first?.name, 'Ed');
        assert.equal(
          await users.update(user.id, user.version, { name: 'stale' }, at(2)),
          undefined,
          'a stale version writes nothing',
        );
        assert.equal((await users.findById(user.id))?.name, 'Ed');
        const revoked = await users.update(user.id, 2, { is_active: false }, at(3), { revokeCredentials: true });
        assert.equal(revoked?.credential_version, user.credential_version + 1);
      });

      it('lists in creation order, by cursor, and counts within a scope', async () => {
        const a = await newUser('repo-list-a', {}, at(10));
        const b = await newUser('repo-list-b', {}, at(11));
        const c = await newUser('repo-list-c', {}, at(12));
        const page = await users.list({ kind: 'all' }, { search: 'repo-list' }, { offset: 0, limit: 2 });
        assert.deepEqual(
          page.map((u) => u.id),
          [a.id, b.id],
        );
        assert.ok(!('password_hash' in page[0]!), 'a list reads public columns only');
        const next = await users.list(
          { kind: 'all' },
          { search: 'repo-list' },
          { offset: 0, limit: 2, after: { created: b.created, id: b.id } },
        );
        assert.deepEqual(
          next.map((u) => u.id),
          [c.id],
        );
        assert.equal(await users.count({ kind: 'all' }, { search: 'repo-list' }), 3);
        assert.equal(
          await users.count({ kind: 'visible-to', userId: a.id, organizationIds: [] }, {}),
          1,
          'alone, an account sees itself',
        );
      });
    });

    describe('organizations and members', () => {
      it('keeps members with roles, counts admins, finds sole admins, and removes members with their account', async () => {
        const owner = await newUser('repo-owner');
        const member = await newUser('repo-member');
        const org = await organizations.insert({ id: uuidv7(), name: 'Repo-Org', description: null }, T0);
        await assert.rejects(
          organizations.insert({ id: uuidv7(), name: 'repo-org', description: null }, T0),
          (error: unknown) => error instanceof UniqueViolation,
        );
        await organizations.upsertMember(org.id, owner.id, 'admin', T0);
        await organizations.upsertMember(org.id, member.id, 'viewer', T0);
        const access = new AccessRepository(handle.db);
        assert.equal(await access.organizationRoleOf(org.id, member.id), 'viewer');
        assert.deepEqual(await access.membershipsOf(member.id), [{ organization_id: org.id, role: 'viewer' }]);
        assert.equal(await organizations.countAdmins(org.id), 1);
        assert.deepEqual(
          (await organizations.members(org.id)).map((m) => [m.user.id, m.role]),
          [
            [owner.id, 'admin'],
            [member.id, 'viewer'],
          ],
        );
        assert.deepEqual(await access.soleAdminOf(owner.id), [{ id: org.id, name: 'Repo-Org' }]);
        await organizations.upsertMember(org.id, member.id, 'admin', T0);
        assert.deepEqual(await access.soleAdminOf(owner.id), []);
        assert.equal(await users.delete(member.id), true);
        assert.equal(await access.organizationRoleOf(org.id, member.id), undefined, 'memberships go with the account');
      });

      it('refuses a membership of an account that does not exist, as a ForeignKeyViolation', async () => {
        const org = await organizations.insert({ id: uuidv7(), name: 'repo-fk', description: null }, T0);
        await assert.rejects(
          organizations.upsertMember(org.id, uuidv7(), 'viewer', T0),
          (error: unknown) => error instanceof ForeignKeyViolation,
        );
      });
    });

    describe('sessions', () => {
      it('finds a live session with its account, not an expired one or one of an older credential version', async () => {
        const sessions = new SessionsRepository(handle.db);
        const user = await newUser('repo-sessions');
        const base = { user_id: user.id, credential_version: user.credential_version, created: T0, api_key_id: null };
        await sessions.insert({ id: uuidv7(), token_hash: 'live', expires: at(3600), ...base });
        await sessions.insert({ id: uuidv7(), token_hash: 'expired', expires: at(-1), ...base });
        await sessions.insert({ id: uuidv7(), token_hash: 'old', expires: at(3600), ...base, credential_version: 0 });
        assert.equal((await sessions.findLive('live', T0))?.user.id, user.id);
        assert.equal(await sessions.findLive('expired', T0), undefined);
        assert.equal(await sessions.findLive('old', T0), undefined);
        assert.equal(await sessions.countLiveForUser(user.id, T0), 1);
      });
    });

    describe('login failures', () => {
      it('counts within a window, starts a new one after it ends, gives attempts back, and clears by name', async () => {
        const failures = new LoginFailuresRepository(handle.db);
        assert.deepEqual(await failures.increment('k1', T0, at(900), 'name-1'), { failures: 1, resetsAt: at(900) });
        assert.equal((await failures.increment('k1', at(1), at(901), 'name-1')).failures, 2);
        await failures.decrement('k1');
        assert.equal((await failures.increment('k1', at(2), at(902), 'name-1')).failures, 2);
        assert.deepEqual(
          await failures.increment('k1', at(900), at(1800), 'name-1'),
          { failures: 1, resetsAt: at(1800) },
          'a new window',
        );
        await failures.increment('k2', T0, at(900), 'name-1');
        await failures.increment('k3', T0, at(900), 'name-2');
        await failures.deleteByNames(['name-1']);
        assert.equal((await failures.increment('k1', at(100), at(1000))).failures, 1);
        assert.equal((await failures.increment('k2', at(100), at(1000))).failures, 1);
        assert.equal(
          (await failures.increment('k3', at(100), at(1000))).failures,
          2,
          'other names keep their counters',
        );
      });
    });

    describe('single sign-on logins', () => {
      it('bounds pending logins per address and completes each once', async () => {
        const logins = new SsoLoginsRepository(handle.db);
        const pending = (state: string, address = 'addr') => ({
          state_hash: state,
          code_verifier: 'v',
          nonce: 'n',
          expires: at(600),
          address_key: address,
        });
        assert.equal(await logins.insertBounded(pending('s1'), T0, 2), true);
        assert.equal(await logins.insertBounded(pending('s2'), T0, 2), true);
        assert.equal(await logins.insertBounded(pending('s3'), T0, 2), false);
        assert.equal(await logins.insertBounded(pending('s4', 'other'), T0, 2), true);
        assert.deepEqual(await logins.take('s1', T0), { code_verifier: 'v', nonce: 'n' });
        assert.equal(await logins.take('s1', T0), undefined, 'once');
        assert.equal(await logins.take('s2', at(601)), undefined, 'expired');
      });
    });

    describe('invitations', () => {
      it('finds pending invitations by account or email, and answers each once', async () => {
        const invitations = new InvitationsRepository(handle.db);
        const invitee = await newUser('repo-invitee');
        const org = await organizations.insert({ id: uuidv7(), name: 'repo-inv', description: null }, T0);
        const base = {
          organization_id: org.id,
          role: 'viewer' as const,
          invited_by: invitee.id,
          created: T0,
          expires: at(600),
        };
        const byId = await invitations.insert({ id: uuidv7(), email: null, user_id: invitee.id, ...base });
        const byEmail = await invitations.insert({ id: uuidv7(), email: 'Inv@Example.com', user_id: null, ...base });
        assert.equal(byId.organization_name, 'repo-inv');
        assert.equal((await invitations.findPending(org.id, { userId: invitee.id }, T0))?.id, byId.id);
        assert.equal((await invitations.findPending(org.id, { email: 'inv@example.com' }, T0))?.id, byEmail.id);
        assert.equal(
          await invitations.findPending(org.id, { email: 'inv@example.com' }, at(600)),
          undefined,
          'expired',
        );
        assert.deepEqual(
          (await invitations.listPendingFor(invitee.id, 'INV@example.com', T0)).map((i) => i.id).sort(),
          [byId.id, byEmail.id].sort(),
        );
        assert.equal(await invitations.answer(byId.id, 'accepted', at(1)), true);
        assert.equal(await invitations.answer(byId.id, 'revoked', at(2)), false, 'answered once');
        assert.equal((await invitations.findById(byId.id))?.status, 'accepted');
      });
    });
  });
}
