/** One organization: its details, members and roles, invitations, workspaces and service accounts. */
import { errorOf } from '@roster/client';
import { useState } from 'preact/hooks';
import { formatTime } from '../logic/format.js';
import { type OrganizationActions, organizationActions, type Role, type Viewer } from '../logic/permissions.js';
import { navigate } from '../router.js';
import { api, roleIn, rolesChanged } from '../session.js';
import type { Organization } from '../types.js';
import { AddMemberForm, MembersTable, ROLES } from './members.js';
import {
  ConfirmButton,
  ErrorBox,
  Link,
  Loading,
  Notice,
  PageTitle,
  SelectField,
  TextField,
  useAction,
  useLoad,
} from '../ui.js';

export function OrganizationPage({ viewer, id }: { viewer: Viewer; id: string }) {
  const org = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/organizations/{organization_id}', {
      params: { path: { organization_id: id } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    const role = await roleIn(id);
    const roles = new Map(viewer.roles);
    if (role) roles.set(id, role);
    return { org: data, role, actions: organizationActions({ ...viewer, roles }, id) };
  }, [id]);
  if (org.error)
    return (
      <section>
        <PageTitle>Organization</PageTitle>
        <ErrorBox error={org.error} />
      </section>
    );
  if (!org.data) return <Loading />;
  const { actions, role } = org.data;
  return (
    <section>
      <PageTitle>{org.data.org.name}</PageTitle>
      <p>
        {org.data.org.description ?? ''} {role ? `· your role: ${role}` : ''} ·{' '}
        <Link to={`/events?organization_id=${id}`}>Events of this organization</Link>
      </p>
      <Details org={org.data.org} actions={actions} onChanged={org.reload} />
      <Members id={id} viewer={viewer} actions={actions} />
      {actions.invite && <Invitations id={id} />}
      <Workspaces id={id} actions={actions} />
      <ServiceAccounts id={id} actions={actions} />
    </section>
  );
}

function Details({
  org,
  actions,
  onChanged,
}: {
  org: Organization;
  actions: OrganizationActions;
  onChanged: () => void;
}) {
  const [name, setName] = useState(org.name);
  const [description, setDescription] = useState(org.description ?? '');
  const action = useAction();
  if (!actions.edit && !actions.delete) return null;
  return (
    <form
      class="card"
      aria-labelledby="org-details"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          const { error, response } = await api().api.PATCH('/api/v1/organizations/{organization_id}', {
            params: { path: { organization_id: org.id } },
            body: { name, description: description === '' ? null : description },
          });
          if (!response.ok) throw errorOf(response, error);
          onChanged();
        });
      }}
    >
      <h2 id="org-details">Details</h2>
      <TextField label="Organization name" value={name} onInput={setName} disabled={!actions.edit} required />
      <TextField label="Description" value={description} onInput={setDescription} disabled={!actions.edit} />
      <ErrorBox error={action.error} />
      <div class="actions">
        {actions.edit && (
          <button type="submit" class="primary" disabled={action.busy}>
            Save
          </button>
        )}
        {actions.delete && (
          <ConfirmButton
            label="Delete organization"
            disabled={action.busy}
            onConfirm={() =>
              void action.run(async () => {
                const { error, response } = await api().api.DELETE('/api/v1/organizations/{organization_id}', {
                  params: { path: { organization_id: org.id } },
                });
                if (!response.ok) throw errorOf(response, error);
                rolesChanged();
                navigate('/organizations');
              })
            }
          />
        )}
      </div>
    </form>
  );
}

function Members({ id, viewer, actions }: { id: string; viewer: Viewer; actions: OrganizationActions }) {
  const members = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/organizations/{organization_id}/members', {
      params: { path: { organization_id: id } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const action = useAction();
  const put = (user: string, newRole: Role) =>
    action.run(async () => {
      const { error, response } = await api().api.PUT('/api/v1/organizations/{organization_id}/members/{user_id}', {
        params: { path: { organization_id: id, user_id: user } },
        body: { role: newRole },
      });
      if (!response.ok) throw errorOf(response, error);
      rolesChanged();
      members.reload();
    });
  return (
    <div class="card">
      <h2>Members</h2>
      <ErrorBox error={members.error ?? action.error} />
      {members.data && (
        <MembersTable
          members={members.data}
          canChangeRoles={actions.changeRoles}
          removal={(member) =>
            member.user.id === viewer.me.id
              ? { label: 'Leave', accessibleName: 'Leave the organization' }
              : actions.changeRoles
                ? { label: 'Remove', accessibleName: `Remove ${member.user.username}` }
                : undefined
          }
          onRole={(member, role) => put(member.user.id, role)}
          onRemove={(member) =>
            void action.run(async () => {
              const { error, response } = await api().api.DELETE(
                '/api/v1/organizations/{organization_id}/members/{user_id}',
                { params: { path: { organization_id: id, user_id: member.user.id } } },
              );
              if (!response.ok) throw errorOf(response, error);
              rolesChanged();
              members.reload();
            })
          }
        />
      )}
      {actions.addMembersDirectly && (
        <AddMemberForm
          name="Add a member"
          hint="Superusers add members directly; admins invite."
          button="Add member"
          busy={action.busy}
          onAdd={put}
        />
      )}
    </div>
  );
}

function Invitations({ id }: { id: string }) {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/organizations/{organization_id}/invitations', {
      params: { path: { organization_id: id } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const [invitee, setInvitee] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [sent, setSent] = useState<string | undefined>();
  const action = useAction();
  return (
    <div class="card">
      <h2>Invitations</h2>
      <ErrorBox error={list.error ?? action.error} />
      {sent && <Notice>{sent}</Notice>}
      {list.data && list.data.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Invitee</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email ?? invitation.user_id}</td>
                  <td>{invitation.role}</td>
                  <td>{invitation.status}</td>
                  <td>{formatTime(invitation.expires)}</td>
                  <td>
                    {invitation.status === 'pending' && (
                      <ConfirmButton
                        label="Revoke"
                        accessibleName={`Revoke the invitation of ${invitation.email ?? invitation.user_id}`}
                        onConfirm={() =>
                          void action.run(async () => {
                            const { error, response } = await api().api.DELETE(
                              '/api/v1/organizations/{organization_id}/invitations/{invitation_id}',
                              { params: { path: { organization_id: id, invitation_id: invitation.id } } },
                            );
                            if (!response.ok) throw errorOf(response, error);
                            list.reload();
                          })
                        }
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        aria-label="Invite"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const value = invitee.trim();
            const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
            const { error, response } = await api().api.POST('/api/v1/organizations/{organization_id}/invitations', {
              params: { path: { organization_id: id } },
              body: byId ? { user_id: value, role } : { email: value, role },
            });
            if (!response.ok) throw errorOf(response, error);
            setSent(`Invited ${value} as ${role}. They become a member when they accept.`);
            setInvitee('');
            list.reload();
          });
        }}
      >
        <TextField label="Email or account id to invite" value={invitee} onInput={setInvitee} required />
        <SelectField label="Invited role" value={role} options={ROLES} onChange={setRole} />
        <button type="submit" disabled={action.busy}>
          Invite
        </button>
      </form>
    </div>
  );
}

function Workspaces({ id, actions }: { id: string; actions: OrganizationActions }) {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/organizations/{organization_id}/workspaces', {
      params: { path: { organization_id: id } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const [name, setName] = useState('');
  const action = useAction();
  return (
    <div class="card">
      <h2>Workspaces</h2>
      <ErrorBox error={list.error ?? action.error} />
      {list.data && list.data.length > 0 && (
        <ul>
          {list.data.map((workspace) => (
            <li key={workspace.id}>
              <Link to={`/workspaces/${workspace.id}`}>{workspace.name}</Link>
              {workspace.description ? ` — ${workspace.description}` : ''}{' '}
              {actions.edit && (
                <ConfirmButton
                  label="Delete"
                  accessibleName={`Delete workspace ${workspace.name}`}
                  small
                  onConfirm={() =>
                    void action.run(async () => {
                      const { error, response } = await api().api.DELETE('/api/v1/workspaces/{workspace_id}', {
                        params: { path: { workspace_id: workspace.id } },
                      });
                      if (!response.ok) throw errorOf(response, error);
                      list.reload();
                    })
                  }
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {list.data?.length === 0 && <p>No workspace.</p>}
      {actions.createWorkspace && (
        <form
          aria-label="New workspace"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const { error, response } = await api().api.POST('/api/v1/organizations/{organization_id}/workspaces', {
                params: { path: { organization_id: id } },
                body: { name },
              });
              if (!response.ok) throw errorOf(response, error);
              setName('');
              list.reload();
            });
          }}
        >
          <TextField label="Workspace name" value={name} onInput={setName} required />
          <button type="submit" disabled={action.busy}>
            Create workspace
          </button>
        </form>
      )}
    </div>
  );
}

function ServiceAccounts({ id, actions }: { id: string; actions: OrganizationActions }) {
  const list = useLoad(async () => {
    const { data, error, response } = await api().api.GET('/api/v1/users', {
      params: { query: { organization_id: id, is_service_account: true, limit: 1000 } },
    });
    if (!response.ok || !data) throw errorOf(response, error);
    return data;
  }, [id]);
  const [username, setUsername] = useState('');
  const action = useAction();
  return (
    <div class="card">
      <h2>Service accounts</h2>
      <ErrorBox error={list.error ?? action.error} />
      {list.data && list.data.length > 0 && (
        <ul>
          {list.data.map((account) => (
            <li key={account.id}>
              <Link to={`/users/${account.id}`}>{account.username}</Link>
              {account.is_active ? '' : ' (deactivated)'}
            </li>
          ))}
        </ul>
      )}
      {list.data?.length === 0 && <p>No service account.</p>}
      {actions.createServiceAccount && (
        <form
          aria-label="New service account"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const { data, error, response } = await api().api.POST(
                '/api/v1/organizations/{organization_id}/service_accounts',
                { params: { path: { organization_id: id } }, body: { username } },
              );
              if (!response.ok || !data) throw errorOf(response, error);
              navigate(`/users/${data.id}`);
            });
          }}
        >
          <TextField label="Service account username" value={username} onInput={setUsername} required />
          <button type="submit" disabled={action.busy}>
            Create service account
          </button>
        </form>
      )}
    </div>
  );
}
