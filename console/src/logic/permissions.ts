/**
 * What the signed-in account may do, mirrored from the API's rules so that
 * the console shows no button for an action the API would refuse. The API
 * stays the judge: anything it still refuses is shown as its 403, never
 * hidden. (The internal account is not marked in `UserRead`; its refusals
 * come from the API.)
 */
export interface Account {
  id: string;
  username: string;
  is_superuser: boolean;
  is_service_account: boolean;
  organization_id: string | null;
  oauth_provider: string | null;
}

export type Role = 'admin' | 'editor' | 'viewer';

/** The signed-in account and its organization roles. */
export interface Viewer {
  me: Account;
  roles: ReadonlyMap<string, Role>;
}

function adminOfOrganizationOf(viewer: Viewer, target: Account): boolean {
  return (
    target.is_service_account && target.organization_id !== null && viewer.roles.get(target.organization_id) === 'admin'
  );
}

export interface UserActions {
  editProfile: boolean;
  /** username and email: not for accounts linked to a provider. */
  editIdentity: boolean;
  setActive: boolean;
  setSuperuser: boolean;
  /** Set a new password without the current one. */
  resetPassword: boolean;
  /** Change one's own password (needs the current one). */
  changeOwnPassword: boolean;
  clearLoginFailures: boolean;
  delete: boolean;
  manageApiKeys: boolean;
}

export function userActions(viewer: Viewer, target: Account): UserActions {
  const { me } = viewer;
  const self = me.id === target.id;
  const orgAdmin = adminOfOrganizationOf(viewer, target);
  const editProfile = self || me.is_superuser || orgAdmin;
  return {
    editProfile,
    editIdentity: editProfile && target.oauth_provider === null,
    setActive: (me.is_superuser || orgAdmin) && !self,
    setSuperuser: me.is_superuser && !target.is_service_account && !self,
    // Changing one's own password always needs the current one, superuser or not.
    resetPassword: me.is_superuser && !self && !target.is_service_account && target.oauth_provider === null,
    changeOwnPassword: self && target.oauth_provider === null && !target.is_service_account,
    clearLoginFailures: me.is_superuser && !target.is_service_account,
    delete: me.is_superuser || self || orgAdmin,
    manageApiKeys: target.is_service_account && (me.is_superuser || orgAdmin),
  };
}

export interface OrganizationActions {
  edit: boolean;
  delete: boolean;
  invite: boolean;
  changeRoles: boolean;
  addMembersDirectly: boolean;
  createWorkspace: boolean;
  createServiceAccount: boolean;
}

/** An organization's admins, and superusers, administer it; its editors (and they) create workspaces. */
export function organizationActions(viewer: Viewer, organizationId: string): OrganizationActions {
  const role = viewer.roles.get(organizationId);
  const admin = role === 'admin' || viewer.me.is_superuser;
  return {
    edit: admin,
    delete: admin,
    invite: admin,
    changeRoles: admin,
    addMembersDirectly: viewer.me.is_superuser,
    createWorkspace: admin || role === 'editor',
    createServiceAccount: admin,
  };
}

export interface WorkspaceActions {
  /** Rename, describe, delete, and manage its members. */
  administer: boolean;
}

/** A workspace is administered by its organization's admins, its own admins, and superusers. */
export function workspaceActions(
  viewer: Viewer,
  organizationId: string,
  workspaceRole: Role | undefined,
): WorkspaceActions {
  return {
    administer: viewer.me.is_superuser || viewer.roles.get(organizationId) === 'admin' || workspaceRole === 'admin',
  };
}

/** Any human account may create an organization. */
export function mayCreateOrganization(viewer: Viewer): boolean {
  return !viewer.me.is_service_account;
}

/** Webhooks are for superusers. */
export function mayManageWebhooks(viewer: Viewer): boolean {
  return viewer.me.is_superuser;
}

export function mayCreateUsers(viewer: Viewer): boolean {
  return viewer.me.is_superuser;
}
