import type { PublicUserRecord } from './users.repository.js';
import type { UserRead } from './users.schemas.js';

/** The public view of an account: never its password hash or internal flags. */
export function toUserRead(user: PublicUserRecord): UserRead {
  return {
    id: user.id,
    name: user.name,
    avatar_url: user.avatar_url,
    company: user.company,
    job_title: user.job_title,
    metadata: user.metadata,
    username: user.username,
    email: user.email,
    email_verified: user.email_verified,
    oauth_provider: user.oauth_provider,
    oauth_id: user.oauth_id,
    is_active: user.is_active,
    is_superuser: user.is_superuser,
    is_service_account: user.is_service_account,
    organization_id: user.organization_id,
    is_onboarded: user.is_onboarded,
    created: user.created,
    updated: user.updated,
  };
}
