/** How the console writes values. */

/** `2026-12-01 14:03:22` in the browser's time zone; '' for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A value of an event's `changes` or a form field, as text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

/** The account's kind, in words. */
export function accountKind(user: {
  is_superuser: boolean;
  is_service_account: boolean;
  oauth_provider: string | null;
}): string {
  if (user.is_service_account) return 'service account';
  const kind = user.oauth_provider === null ? 'local' : `SSO (${user.oauth_provider})`;
  return user.is_superuser ? `${kind}, superuser` : kind;
}

/** An error of the API (or the network) for people: the contract's name, then its message. */
export function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'status' in error && 'errorName' in error) {
    const e = error as { status: number; errorName: string; message: string };
    const hint =
      e.status === 403
        ? 'The API refused this for your account'
        : e.status === 404
          ? 'Not found, or not visible to your account'
          : e.status === 429
            ? 'Too many attempts; wait and try again'
            : undefined;
    return `${e.status} ${e.errorName}: ${e.message}${hint ? ` (${hint}.)` : ''}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
