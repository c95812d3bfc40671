import type { OrganizationRecord } from './organizations.repository.js';

export function toOrganizationRead(organization: OrganizationRecord) {
  return {
    id: organization.id,
    name: organization.name,
    description: organization.description,
    created: organization.created,
    updated: organization.updated,
  };
}
