/**
 * One account: edit (with `If-Match`, a 412 explained with the other side's
 * change), deactivate or activate, password, login failures, API keys of a
 * service account, and delete after a dry-run preview.
 */
import { errorOf, type UserRead } from '@roster/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Conflict, conflictOf, patchOf, type Values } from '../logic/conflict.js';
import { accountKind, formatTime, formatValue } from '../logic/format.js';
import { type UserActions, userActions, type Viewer } from '../logic/permissions.js';
import { navigate } from '../router.js';
import { api, forget, roleIn } from '../session.js';
import type { ApiKey, DeletionPlan, UserUpdate } from '../types.js';
import {
  CheckField,
  ConfirmButton,
  ErrorBox,
  Link,
  Loading,
  Notice,
  OnceSecret,
  PageTitle,
  TextField,
  useAction,
  useLoad,
} from '../ui.js';

interface Loaded {
  user: UserRead;
  etag: string;
  actions: UserActions;
}

async function loadUser(viewer: Viewer, id: string): Promise<Loaded> {
  const { data, error, response } = await api().api.GET('/api/v1/users/{user_id}', {
    params: { path: { user_id: id } },
  });
  if (!response.ok || !data) throw errorOf(response, error);
  const roles = new Map(viewer.roles);
  if (data.is_service_account && data.organization_id) {
    const role = await roleIn(data.organization_id);
    if (role) roles.set(data.organization_id, role);
  }
  return { user: data, etag: response.headers.get('etag') ?? '', actions: userActions({ ...viewer, roles }, data) };
}

const PROFILE = ['name', 'company', 'job_title', 'avatar_url'] as const;
const IDENTITY = ['username', 'email'] as const;
const LABELS: Record<string, string> = {
  name: 'Name',
  company: 'Company',
  job_title: 'Job title',
  avatar_url: 'Avatar URL',
  username: 'Username',
  email: 'Email',
  is_superuser: 'Superuser',
};

function formValues(user: UserRead, actions: UserActions): Values {
  const values: Values = {};
  for (const field of PROFILE) values[field] = user[field] ?? '';
  if (actions.editIdentity) for (const field of IDENTITY) values[field] = user[field] ?? '';
  if (actions.setSuperuser) values.is_superuser = user.is_superuser;
  return values;
}

export function UserPage({ viewer, id }: { viewer: Viewer; id: string }) {
  const loaded = useLoad(() => loadUser(viewer, id), [id]);
  if (loaded.error) {
    return (
      <section>
        <PageTitle>Account</PageTitle>
        <ErrorBox error={loaded.error} />
      </section>
    );
  }
  if (!loaded.data) return <Loading />;
  const { user, actions } = loaded.data;
  return (
    <section>
      <PageTitle>{user.username}</PageTitle>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{accountKind(user)}</dd>
        <dt>Status</dt>
        <dd data-testid="status">{user.is_active ? 'active' : 'deactivated'}</dd>
        <dt>Id</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
        {user.organization_id && (
          <>
            <dt>Organization</dt>
            <dd>
              <Link to={`/organizations/${user.organization_id}`}>{user.organization_id}</Link>
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{formatTime(user.created)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(user.updated)}</dd>
      </dl>
      <p>
        <Link to={`/events?target_id=${user.id}`}>Events about this account</Link>
      </p>
      <EditForm key={loaded.data.etag} loaded={loaded.data} onSaved={loaded.reload} />
      <AccountControls loaded={loaded.data} viewer={viewer} onChanged={loaded.reload} />
      {actions.manageApiKeys && <ApiKeys userId={user.id} />}
      {actions.delete && <DeleteAccount user={user} viewer={viewer} />}
    </section>
  );
}

function EditForm({ loaded, onSaved }: { loaded: Loaded; onSaved: () => void }) {
  const { user, actions } = loaded;
  const [base, setBase] = useState<Values>(() => formValues(user, actions));
  const [etag, setEtag] = useState(loaded.etag);
  const [values, setValues] = useState<Values>(base);
  const [conflict, setConflict] = useState<{ conflict: Conflict; current: Values; etag: string } | undefined>();
  const action = useAction();
  if (!actions.editProfile) return null;

  const save = (ifMatch: string) =>
    action.run(async () => {
      const { data, error, response } = await api().api.PATCH('/api/v1/users/{user_id}', {
        params: { path: { user_id: user.id }, header: { 'if-match': ifMatch } },
        body: patchOf(base, values) as UserUpdate,
      });
      if (response.status === 412) {
        // Someone saved in between: show what they changed next to this form's changes.
        const fresh = await api().api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: user.id } } });
        if (!fresh.data) throw errorOf(fresh.response, fresh.error);
        const current = formValues(fresh.data, actions);
        setConflict({
          conflict: conflictOf(base, values, current),
          current,
          etag: fresh.response.headers.get('etag') ?? '',
        });
        return;
      }
      if (!response.ok || !data) throw errorOf(response, error);
      setConflict(undefined);
      onSaved();
    });

  return (
    <form
      class="card"
      aria-labelledby="edit-title"
      onSubmit={(event) => {
        event.preventDefault();
        void save(etag);
      }}
    >
      <h2 id="edit-title">Profile</h2>
      {Object.keys(base).map((field) =>
        field === 'is_superuser' ? (
          <CheckField
            key={field}
            label="Superuser"
            checked={values[field] === true}
            onChange={(checked) => setValues({ ...values, [field]: checked })}
          />
        ) : (
          <TextField
            key={field}
            label={LABELS[field] ?? field}
            type={field === 'email' ? 'email' : field === 'avatar_url' ? 'url' : 'text'}
            value={String(values[field] ?? '')}
            onInput={(value) => setValues({ ...values, [field]: value })}
          />
        ),
      )}
      {conflict && (
        <div class="error" role="alert" data-testid="conflict">
          <p>
            <strong>412 PreconditionFailed:</strong> someone else changed this account after you opened it. Nothing was
            saved.
          </p>
          <p>Their change:</p>
          <ul>
            {conflict.conflict.theirs.map((c) => (
              <li key={c.field}>
                {LABELS[c.field] ?? c.field}: {formatValue(c.from === '' ? null : c.from)} →{' '}
                {formatValue(c.to === '' ? null : c.to)}
              </li>
            ))}
          </ul>
          {conflict.conflict.clashing.length > 0 && (
            <p>You both changed: {conflict.conflict.clashing.map((f) => LABELS[f] ?? f).join(', ')}.</p>
          )}
          <div class="actions">
            <button
              type="button"
              onClick={() => {
                // Start again from their version, keeping this form's changes to the fields they did not touch.
                const merged: Values = { ...conflict.current };
                for (const c of conflict.conflict.mine)
                  if (!conflict.conflict.clashing.includes(c.field)) merged[c.field] = c.to;
                setBase(conflict.current);
                setValues(merged);
                setEtag(conflict.etag);
                setConflict(undefined);
              }}
            >
              Take their version
            </button>
            <button
              type="button"
              onClick={() => {
                // Their version, with every change of this form on top (the fields both changed included).
                const merged: Values = { ...conflict.current };
                for (const c of conflict.conflict.mine) merged[c.field] = c.to;
                setBase(conflict.current);
                setValues(merged);
                setEtag(conflict.etag);
                setConflict(undefined);
              }}
            >
              Keep mine (save again to overwrite)
            </button>
          </div>
        </div>
      )}
      <ErrorBox error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Save
        </button>
      </div>
    </form>
  );
}

function AccountControls({ loaded, viewer, onChanged }: { loaded: Loaded; viewer: Viewer; onChanged: () => void }) {
  const { user, actions } = loaded;
  const action = useAction();
  const [password, setPassword] = useState('');
  const [current, setCurrent] = useState('');
  const [done, setDone] = useState<string | undefined>();
  if (!actions.setActive && !actions.resetPassword && !actions.changeOwnPassword && !actions.clearLoginFailures)
    return null;
  const patch = (body: UserUpdate, message: string) =>
    action.run(async () => {
      // One field set on its own, whatever the rest of the account is now: no If-Match.
      const { error, response } = await api().api.PATCH('/api/v1/users/{user_id}', {
        params: { path: { user_id: user.id } },
        body,
      });
      if (!response.ok) throw errorOf(response, error);
      setPassword('');
      setCurrent('');
      setDone(message);
      onChanged();
    });
  return (
    <div class="card">
      <h2>Access</h2>
      {done && <Notice>{done}</Notice>}
      <ErrorBox error={action.error} />
      <div class="actions">
        {actions.setActive && (
          <button
            type="button"
            class={user.is_active ? 'danger' : ''}
            disabled={action.busy}
            onClick={() =>
              void patch(
                { is_active: !user.is_active },
                user.is_active ? 'Deactivated: its tokens and keys stop working.' : 'Activated.',
              )
            }
          >
            {user.is_active ? 'Deactivate' : 'Activate'}
          </button>
        )}
        {actions.clearLoginFailures && (
          <button
            type="button"
            disabled={action.busy}
            onClick={() =>
              void action.run(async () => {
                const { error, response } = await api().api.DELETE('/api/v1/users/{user_id}/login_failures', {
                  params: { path: { user_id: user.id } },
                });
                if (!response.ok) throw errorOf(response, error);
                setDone('Failed logins cleared: the account may log in at once.');
              })
            }
          >
            Clear login failures
          </button>
        )}
      </div>
      {(actions.resetPassword || actions.changeOwnPassword) && (
        <form
          aria-label="Password"
          onSubmit={(event) => {
            event.preventDefault();
            void patch(
              actions.changeOwnPassword ? { password, current_password: current } : { password },
              viewer.me.id === user.id
                ? 'Password changed; your other sessions were signed out.'
                : 'Password set; the account’s sessions were signed out.',
            );
          }}
        >
          {actions.changeOwnPassword && (
            <TextField
              label="Current password"
              type="password"
              value={current}
              onInput={setCurrent}
              autoComplete="current-password"
              required
            />
          )}
          <TextField
            label="New password"
            type="password"
            value={password}
            onInput={setPassword}
            autoComplete="new-password"
            required
          />
          <button type="submit" disabled={action.busy}>
            {actions.changeOwnPassword ? 'Change password' : 'Set password'}
          </button>
        </form>
      )}
    </div>
  );
}

function ApiKeys({ userId }: { userId: string }) {
  const keys = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/users/{user_id}/api_keys', {
      params: { path: { user_id: userId } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data satisfies ApiKey[];
  }, [userId]);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<string | undefined>();
  const action = useAction();
  return (
    <div class="card">
      <h2>API keys</h2>
      <ErrorBox error={keys.error ?? action.error} />
      {created && <OnceSecret label="The new key." value={created} />}
      {keys.data && keys.data.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>{formatTime(key.created)}</td>
                  <td>{key.expires ? formatTime(key.expires) : 'never'}</td>
                  <td>{formatTime(key.last_used) || 'never'}</td>
                  <td>
                    <ConfirmButton
                      label="Delete"
                      accessibleName={`Delete key ${key.name}`}
                      onConfirm={() =>
                        void action.run(async () => {
                          const { error, response } = await api().api.DELETE(
                            '/api/v1/users/{user_id}/api_keys/{api_key_id}',
                            {
                              params: { path: { user_id: userId, api_key_id: key.id } },
                            },
                          );
                          if (!response.ok) throw errorOf(response, error);
                          keys.reload();
                        })
                      }
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {keys.data?.length === 0 && <p>No key yet.</p>}
      <form
        aria-label="New API key"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const expires = Number(days);
            const { data, error, response } = await api().api.POST('/api/v1/users/{user_id}/api_keys', {
              params: { path: { user_id: userId } },
              body: { name, ...(days !== '' && expires > 0 ? { expires_in: Math.round(expires * 86_400) } : {}) },
            });
            if (!response.ok || !data) throw errorOf(response, error);
            setCreated(data.key);
            setName('');
            keys.reload();
          });
        }}
      >
        <TextField label="Key name" value={name} onInput={setName} required />
        <TextField label="Expires after (days)" type="number" value={days} onInput={setDays} hint="Empty: never" />
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </form>
    </div>
  );
}

async function dryRun(userId: string): Promise<DeletionPlan> {
  const { data, error, response } = await api().api.DELETE('/api/v1/users/{user_id}', {
    params: { path: { user_id: userId }, query: { dry_run: true } },
  });
  if (!response.ok || !data) throw errorOf(response, error);
  return data;
}

function DeleteAccount({ user, viewer }: { user: UserRead; viewer: Viewer }) {
  const [plan, setPlan] = useState<DeletionPlan | undefined>();
  const action = useAction();
  const planHeading = useRef<HTMLHeadingElement>(null);
  // The preview replaces its button: the focus goes to what it found.
  useEffect(() => {
    if (plan) planHeading.current?.focus();
  }, [plan]);
  return (
    <div class="card">
      <h2>Delete</h2>
      <p>First see what a delete would remove, and what stops it.</p>
      <ErrorBox error={action.error} />
      {!plan && (
        <button
          type="button"
          disabled={action.busy}
          onClick={() => void action.run(async () => setPlan(await dryRun(user.id)))}
        >
          Preview delete
        </button>
      )}
      {plan && (
        <div data-testid="deletion-plan">
          <h3 ref={planHeading} tabIndex={-1}>
            What goes
          </h3>
          <ul>
            <li>the account {user.username}</li>
            {plan.organization_memberships.map((m) => (
              <li key={m.organization_id}>
                membership of organization {m.organization_name} ({m.role})
              </li>
            ))}
            {plan.workspace_memberships.map((m) => (
              <li key={m.workspace_id}>
                membership of workspace {m.workspace_name} ({m.role})
              </li>
            ))}
            {plan.api_keys.map((k) => (
              <li key={k.id}>API key {k.name}</li>
            ))}
            <li>
              {plan.active_sessions} active session{plan.active_sessions === 1 ? '' : 's'}
            </li>
          </ul>
          {plan.blockers.length > 0 && (
            <>
              <h3>What blocks it</h3>
              <ul class="blockers">
                {plan.blockers.map((b) => (
                  <li key={`${b.reason}-${b.organization_id}`}>{b.message}</li>
                ))}
              </ul>
            </>
          )}
          <div class="actions">
            <button
              type="button"
              class="danger"
              disabled={!plan.allowed || action.busy}
              onClick={() =>
                void action.run(async () => {
                  const { error, response } = await api().api.DELETE('/api/v1/users/{user_id}', {
                    params: { path: { user_id: user.id } },
                  });
                  if (!response.ok) throw errorOf(response, error);
                  // Deleting oneself ends the session: its token no longer works.
                  if (user.id === viewer.me.id) forget();
                  else navigate('/users');
                })
              }
            >
              Delete {user.username}
            </button>
            <button type="button" onClick={() => setPlan(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
