/**
 * Engine-neutral readers for values that SQLite and PostgreSQL return in
 * different forms. Writes always use booleans, ISO strings and JSON text.
 */
export function readBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

export function readTimestamp(value: string | Date): string {
  return typeof value === 'string' ? value : value.toISOString();
}

export function readJson(value: string | Record<string, unknown>): Record<string, unknown> {
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
}
