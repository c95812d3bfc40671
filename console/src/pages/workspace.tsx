/** One workspace: rename or describe it, its members and their roles, delete it. */
import { errorOf } from '@roster/client';
import { useState } from 'preact/hooks';
import { type Role, type Viewer, workspaceActions } from '../logic/permissions.js';
import { navigate } from '../router.js';
import { api, currentAccount, roleIn } from '../session.js';
import { ConfirmButton, ErrorBox, Link, Loading, PageTitle, TextField, useAction, useLoad } from '../ui.js';
import { AddMemberForm, MembersTable } from './members.js';

async function loadWorkspace(viewer: Viewer, id: string) {
  const workspace = await api().api.GET('/api/v1/workspaces/{workspace_id}', {
    params: { path: { workspace_id: id } },
  });
  if (!workspace.response.ok || !workspace.data) throw errorOf(workspace.response, workspace.error);
  const members = await api().api.GET('/api/v1/workspaces/{workspace_id}/members', {
    params: { path: { workspace_id: id } },
  });
  if (!members.response.ok || !members.data) throw errorOf(members.response, members.error);
  const me = await currentAccount();
  const organizationRole = await roleIn(workspace.data.organization_id);
  const roles = new Map(viewer.roles);
  if (organizationRole) roles.set(workspace.data.organization_id, organizationRole);
  const ownRole = members.data.find((m) => m.user.id === me.id)?.role;
  return {
    workspace: workspace.data,
    members: members.data,
    actions: workspaceActions({ ...viewer, roles }, workspace.data.organization_id, ownRole),
  };
}

export function WorkspacePage({ viewer, id }: { viewer: Viewer; id: string }) {
  const loaded = useLoad(() => loadWorkspace(viewer, id), [id]);
  const action = useAction();
  const [name, setName] = useState<string | undefined>();
  const [description, setDescription] = useState<string | undefined>();
  if (loaded.error)
    return (
      <section>
        <PageTitle>Workspace</PageTitle>
        <ErrorBox error={loaded.error} />
      </section>
    );
  if (!loaded.data) return <Loading />;
  const { workspace, members, actions } = loaded.data;
  const put = (user: string, newRole: Role) =>
    action.run(async () => {
      const { error, response } = await api().api.PUT('/api/v1/workspaces/{workspace_id}/members/{user_id}', {
        params: { path: { workspace_id: id, user_id: user } },
        body: { role: newRole },
      });
      if (!response.ok) throw errorOf(response, error);
      loaded.reload();
    });
  return (
    <section>
      <PageTitle>{workspace.name}</PageTitle>
      <p>
        Workspace of <Link to={`/organizations/${workspace.organization_id}`}>its organization</Link>.
      </p>
      <ErrorBox error={action.error} />
      {actions.administer && (
        <form
          class="card"
          aria-labelledby="workspace-details"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const { error, response } = await api().api.PATCH('/api/v1/workspaces/{workspace_id}', {
                params: { path: { workspace_id: id } },
                body: {
                  name: name ?? workspace.name,
                  description:
                    (description ?? workspace.description ?? '') === '' ? null : (description ?? workspace.description),
                },
              });
              if (!response.ok) throw errorOf(response, error);
              loaded.reload();
            });
          }}
        >
          <h2 id="workspace-details">Details</h2>
          <TextField label="Workspace name" value={name ?? workspace.name} onInput={setName} required />
          <TextField label="Description" value={description ?? workspace.description ?? ''} onInput={setDescription} />
          <div class="actions">
            <button type="submit" class="primary" disabled={action.busy}>
              Save
            </button>
            <ConfirmButton
              label="Delete workspace"
              disabled={action.busy}
              onConfirm={() =>
                void action.run(async () => {
                  const { error, response } = await api().api.DELETE('/api/v1/workspaces/{workspace_id}', {
                    params: { path: { workspace_id: id } },
                  });
                  if (!response.ok) throw errorOf(response, error);
                  navigate(`/organizations/${workspace.organization_id}`);
                })
              }
            />
          </div>
        </form>
      )}
      <div class="card">
        <h2>Members</h2>
        {members.length === 0 && <p>No member.</p>}
        {members.length > 0 && (
          <MembersTable
            members={members}
            canChangeRoles={actions.administer}
            removal={(member) =>
              actions.administer
                ? { label: 'Remove', accessibleName: `Remove ${member.user.username} from the workspace` }
                : undefined
            }
            onRole={(member, newRole) => put(member.user.id, newRole)}
            onRemove={(member) =>
              void action.run(async () => {
                const { error, response } = await api().api.DELETE(
                  '/api/v1/workspaces/{workspace_id}/members/{user_id}',
                  { params: { path: { workspace_id: id, user_id: member.user.id } } },
                );
                if (!response.ok) throw errorOf(response, error);
                loaded.reload();
              })
            }
          />
        )}
        {actions.administer && (
          <AddMemberForm
            name="Add a workspace member"
            hint="A member (or service account) of the organization"
            button="Add to the workspace"
            busy={action.busy}
            onAdd={put}
          />
        )}
      </div>
    </section>
  );
}
