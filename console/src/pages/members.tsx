/** Members and their roles, in organizations and workspaces alike. */
import { useState } from 'preact/hooks';
import type { Role } from '../logic/permissions.js';
import { ConfirmButton, Link, SelectField, TextField } from '../ui.js';

export const ROLES: [Role, string][] = [
  ['admin', 'admin'],
  ['editor', 'editor'],
  ['viewer', 'viewer'],
];

/** A member's role: chosen in the list, sent only with its button (arrow keys in a list must not save each step). */
export function RoleChanger({
  username,
  role,
  onSave,
}: {
  username: string;
  role: Role;
  onSave: (role: Role) => Promise<boolean>;
}) {
  const [chosen, setChosen] = useState<Role>(role);
  return (
    <span class="inline">
      <select
        aria-label={`Role of ${username}`}
        value={chosen}
        onChange={(event) => setChosen((event.target as HTMLSelectElement).value as Role)}
      >
        {ROLES.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      {chosen !== role && (
        <button
          type="button"
          class="small"
          onClick={() => void onSave(chosen).then((saved) => !saved && setChosen(role))}
        >
          Save role of {username}
        </button>
      )}
    </span>
  );
}

interface Member {
  user: { id: string; username: string };
  role: Role;
}

/** The members of an organization or a workspace: account, role (changeable), remove or leave. */
export function MembersTable({
  members,
  canChangeRoles,
  removal,
  onRole,
  onRemove,
}: {
  members: Member[];
  canChangeRoles: boolean;
  /** The remove (or leave) button of a member, if the account may press it. */
  removal: (member: Member) => { label: string; accessibleName: string } | undefined;
  onRole: (member: Member, role: Role) => Promise<boolean>;
  onRemove: (member: Member) => void;
}) {
  return (
    <div class="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => {
            const remove = removal(member);
            return (
              <tr key={member.user.id}>
                <td>
                  <Link to={`/users/${member.user.id}`}>{member.user.username}</Link>
                </td>
                <td>
                  {canChangeRoles ? (
                    <RoleChanger
                      username={member.user.username}
                      role={member.role}
                      onSave={(role) => onRole(member, role)}
                    />
                  ) : (
                    member.role
                  )}
                </td>
                <td>
                  {remove && (
                    <ConfirmButton
                      label={remove.label}
                      accessibleName={remove.accessibleName}
                      onConfirm={() => onRemove(member)}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Adds an account by id with a role (superusers to organizations, workspace admins to workspaces). */
export function AddMemberForm({
  name,
  hint,
  button,
  busy,
  onAdd,
}: {
  /** The form's accessible name. */
  name: string;
  hint: string;
  button: string;
  busy: boolean;
  onAdd: (userId: string, role: Role) => Promise<boolean>;
}) {
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  return (
    <form
      aria-label={name}
      onSubmit={(event) => {
        event.preventDefault();
        void onAdd(userId.trim(), role).then((done) => done && setUserId(''));
      }}
    >
      <TextField label="Account id to add" value={userId} onInput={setUserId} hint={hint} required />
      <SelectField label="Role" value={role} options={ROLES} onChange={setRole} />
      <button type="submit" disabled={busy}>
        {button}
      </button>
    </form>
  );
}
