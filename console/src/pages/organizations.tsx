/** Organizations: the ones the account sees, and a new one (any human account; it becomes its admin). */
import { errorOf } from '@roster/client';
import { useState } from 'preact/hooks';
import { formatTime } from '../logic/format.js';
import { mayCreateOrganization, type Viewer } from '../logic/permissions.js';
import { navigate } from '../router.js';
import { api, rolesChanged } from '../session.js';
import { ErrorBox, Link, Loading, PageTitle, TextField, useAction, useLoad } from '../ui.js';

export function OrganizationsPage({ viewer }: { viewer: Viewer }) {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/organizations', {
      params: { query: { limit: 1000 } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  return (
    <section>
      <PageTitle>Organizations</PageTitle>
      <ErrorBox error={list.error} />
      {list.loading && <Loading />}
      {list.data && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((org) => (
                <tr key={org.id}>
                  <td>
                    <Link to={`/organizations/${org.id}`}>{org.name}</Link>
                  </td>
                  <td>{org.description ?? ''}</td>
                  <td>{formatTime(org.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data?.length === 0 && <p>No organization yet.</p>}
      {mayCreateOrganization(viewer) && (
        <form
          class="card"
          aria-labelledby="new-org"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const { data, error, response } = await api().api.POST('/api/v1/organizations', {
                body: { name, ...(description ? { description } : {}) },
              });
              if (!response.ok || !data) throw errorOf(response, error);
              rolesChanged();
              navigate(`/organizations/${data.id}`);
            });
          }}
        >
          <h2 id="new-org">New organization</h2>
          <TextField label="Organization name" value={name} onInput={setName} required />
          <TextField label="Description" value={description} onInput={setDescription} />
          <ErrorBox error={action.error} />
          <button type="submit" class="primary" disabled={action.busy}>
            Create organization
          </button>
        </form>
      )}
    </section>
  );
}
