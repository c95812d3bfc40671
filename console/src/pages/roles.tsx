/** Choosing a member's role, in organizations and workspaces alike. */
import { useState } from 'preact/hooks';
import type { Role } from '../logic/permissions.js';

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
