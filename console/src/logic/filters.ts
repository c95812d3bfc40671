/**
 * The users page's filters, kept in the page's address (so a filtered list
 * can be bookmarked and shared) and turned into the query of `GET /users`.
 */
import { nextLink } from '../../../clients/typescript/src/index.js';

export type Tristate = 'any' | 'true' | 'false';

export interface UserFilters {
  search: string;
  email: string;
  username: string;
  oauth_provider: string;
  organization_id: string;
  is_superuser: Tristate;
  is_service_account: Tristate;
  /** Deactivated accounts are hidden unless asked for. */
  show_deactivated: boolean;
  limit: number;
}

export const DEFAULT_FILTERS: UserFilters = {
  search: '',
  email: '',
  username: '',
  oauth_provider: '',
  organization_id: '',
  is_superuser: 'any',
  is_service_account: 'any',
  show_deactivated: false,
  limit: 25,
};

const TEXT = ['search', 'email', 'username', 'oauth_provider', 'organization_id'] as const;
const FLAGS = ['is_superuser', 'is_service_account'] as const;
const LIMITS = [10, 25, 50, 100];

function tristate(value: string | null): Tristate {
  return value === 'true' || value === 'false' ? value : 'any';
}

/** The filters of a page address (`?search=al&is_superuser=true`); anything unknown or malformed is ignored. */
export function filtersFrom(params: URLSearchParams): UserFilters {
  const filters: UserFilters = { ...DEFAULT_FILTERS };
  for (const key of TEXT) filters[key] = (params.get(key) ?? '').trim().slice(0, 320);
  for (const key of FLAGS) filters[key] = tristate(params.get(key));
  filters.show_deactivated = params.get('show_deactivated') === 'true';
  const limit = Number(params.get('limit'));
  filters.limit = LIMITS.includes(limit) ? limit : DEFAULT_FILTERS.limit;
  return filters;
}

/** The page address of the filters: only what differs from the defaults. */
export function filtersToParams(filters: UserFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of TEXT) if (filters[key] !== '') params.set(key, filters[key]);
  for (const key of FLAGS) if (filters[key] !== 'any') params.set(key, filters[key]);
  if (filters.show_deactivated) params.set('show_deactivated', 'true');
  if (filters.limit !== DEFAULT_FILTERS.limit) params.set('limit', String(filters.limit));
  return params;
}

export interface UsersQuery {
  limit: number;
  include_total: boolean;
  search?: string;
  email?: string;
  username?: string;
  oauth_provider?: string;
  organization_id?: string;
  is_superuser?: boolean;
  is_service_account?: boolean;
  is_active?: boolean;
  after?: string;
}

/**
 * The `GET /users` query of the filters: the total is always asked for, and
 * without "show deactivated" only active accounts are listed. `after` is the
 * cursor of the page to show (none for the first).
 */
export function usersQuery(filters: UserFilters, after?: string): UsersQuery {
  const query: UsersQuery = { limit: filters.limit, include_total: true };
  for (const key of TEXT) if (filters[key] !== '') query[key] = filters[key];
  for (const key of FLAGS) if (filters[key] !== 'any') query[key] = filters[key] === 'true';
  if (!filters.show_deactivated) query.is_active = true;
  if (after !== undefined) query.after = after;
  return query;
}

/** The `after` cursor in the `rel="next"` link of a page, if there is a next page. */
export function nextCursor(link: string | null): string | undefined {
  const next = nextLink(link);
  if (!next) return undefined;
  return new URL(next, 'http://roster.invalid').searchParams.get('after') ?? undefined;
}
