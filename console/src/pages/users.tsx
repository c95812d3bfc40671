/** The directory: search, every filter of `GET /users`, the total, keyset paging, deactivated accounts on request. */
import { errorOf, type UserRead } from '@roster/client';
import { useState } from 'preact/hooks';
import {
  filtersFrom,
  filtersToParams,
  nextCursor,
  type Tristate,
  type UserFilters,
  usersQuery,
} from '../logic/filters.js';
import { accountKind, formatTime } from '../logic/format.js';
import { mayCreateUsers, type Viewer } from '../logic/permissions.js';
import { navigate } from '../router.js';
import { api } from '../session.js';
import { CheckField, ErrorBox, Link, Loading, PageTitle, SelectField, TextField, useAction, useLoad } from '../ui.js';

interface Page {
  users: UserRead[];
  total: number | undefined;
  next: string | undefined;
}

async function loadPage(filters: UserFilters, after: string | undefined): Promise<Page> {
  const { data, error, response } = await api().api.GET('/api/v1/users', {
    params: { query: usersQuery(filters, after) },
  });
  if (!response.ok || !data) throw errorOf(response, error);
  const total = response.headers.get('x-total-count');
  return {
    users: data,
    total: total === null ? undefined : Number(total),
    next: nextCursor(response.headers.get('link')),
  };
}

const TRISTATE: [Tristate, string][] = [
  ['any', 'Any'],
  ['true', 'Yes'],
  ['false', 'No'],
];

export function UsersPage({ viewer, query }: { viewer: Viewer; query: URLSearchParams }) {
  const applied = filtersFrom(query);
  const [draft, setDraft] = useState<UserFilters>(applied);
  // The cursors of the pages before this one, to go back; the current page's cursor.
  const [trail, setTrail] = useState<(string | undefined)[]>([]);
  const [after, setAfter] = useState<string | undefined>(undefined);
  const key = filtersToParams(applied).toString();
  const page = useLoad(() => loadPage(applied, after), [key, after]);
  const set = <K extends keyof UserFilters>(name: K, value: UserFilters[K]) => setDraft({ ...draft, [name]: value });
  const apply = (filters: UserFilters) => {
    setTrail([]);
    setAfter(undefined);
    const params = filtersToParams(filters).toString();
    navigate(`/users${params ? `?${params}` : ''}`, { replace: true });
  };
  return (
    <section>
      <PageTitle>Users</PageTitle>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          apply(draft);
        }}
      >
        <TextField
          label="Search"
          value={draft.search}
          onInput={(v) => set('search', v)}
          hint="Start of a username, email or name"
          name="search"
        />
        <TextField label="Email (exact)" value={draft.email} onInput={(v) => set('email', v)} />
        <TextField label="Username (exact)" value={draft.username} onInput={(v) => set('username', v)} />
        <TextField label="SSO provider" value={draft.oauth_provider} onInput={(v) => set('oauth_provider', v)} />
        <TextField
          label="Organization id"
          value={draft.organization_id}
          onInput={(v) => set('organization_id', v)}
          hint="Service accounts of this organization"
        />
        <SelectField
          label="Superuser"
          value={draft.is_superuser}
          options={TRISTATE}
          onChange={(v) => set('is_superuser', v)}
        />
        <SelectField
          label="Service account"
          value={draft.is_service_account}
          options={TRISTATE}
          onChange={(v) => set('is_service_account', v)}
        />
        <SelectField
          label="Per page"
          value={String(draft.limit) as '10' | '25' | '50' | '100'}
          options={[
            ['10', '10'],
            ['25', '25'],
            ['50', '50'],
            ['100', '100'],
          ]}
          onChange={(v) => set('limit', Number(v))}
        />
        <CheckField
          label="Show deactivated accounts"
          checked={draft.show_deactivated}
          onChange={(checked) => {
            const filters = { ...draft, show_deactivated: checked };
            setDraft(filters);
            apply(filters);
          }}
        />
        <div class="actions">
          <button type="submit" class="primary">
            Apply
          </button>
        </div>
      </form>
      {mayCreateUsers(viewer) && <CreateUser />}
      <ErrorBox error={page.error} />
      {page.loading && <Loading />}
      {page.data && (
        <>
          <p aria-live="polite" data-testid="total">
            {page.data.total === undefined ? '' : `${page.data.total.toLocaleString('en')} matching`}
          </p>
          <div class="table-scroll">
            <table>
              <caption class="visually-hidden">Users matching the filters</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.data.users.map((user) => (
                  <tr key={user.id}>
                    <td>
                      <Link to={`/users/${user.id}`}>{user.username}</Link>
                    </td>
                    <td>{user.name ?? ''}</td>
                    <td>{user.email ?? ''}</td>
                    <td>{accountKind(user)}</td>
                    <td>{user.is_active ? 'active' : 'deactivated'}</td>
                    <td>{formatTime(user.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.data.users.length === 0 && <p>No account matches.</p>}
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={page.loading || trail.length === 0}
              onClick={() => {
                setAfter(trail[trail.length - 1]);
                setTrail(trail.slice(0, -1));
              }}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={page.loading || page.data.next === undefined}
              onClick={() => {
                setTrail([...trail, after]);
                setAfter(page.data?.next);
              }}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

/** Superusers create local accounts. */
function CreateUser() {
  const [open, setOpen] = useState(false);
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  if (!open)
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          New account
        </button>
      </p>
    );
  return (
    <form
      class="card"
      aria-label="New account"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          const { data, error, response } = await api().api.POST('/api/v1/users', {
            body: { username, password, ...(email ? { email } : {}) },
          });
          if (!response.ok || !data) throw errorOf(response, error);
          navigate(`/users/${data.id}`);
        });
      }}
    >
      <h2>New account</h2>
      <TextField label="Username" value={username} onInput={setUsername} required />
      <TextField label="Email" type="email" value={email} onInput={setEmail} />
      <TextField
        label="Password"
        type="password"
        value={password}
        onInput={setPassword}
        autoComplete="new-password"
        required
      />
      <ErrorBox error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          Create
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
