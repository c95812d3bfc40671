/**
 * Keyset pagination cursors and `Link` headers. A cursor names the last row
 * of a page by its sort key (creation time, id); it is opaque to clients.
 */
import { InvalidInput } from '../domain/errors.js';

export interface Cursor {
  created: string;
  id: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.created}|${cursor.id}`, 'utf8').toString('base64url');
}

/** Decodes `after`; a malformed cursor, or one combined with an offset, is a 422. */
export function decodeCursor(after: string | undefined, offset: number): Cursor | undefined {
  if (after === undefined) return undefined;
  if (offset > 0) {
    throw new InvalidInput(['query', 'after'], 'value_error', 'Value error, after cannot be combined with an offset');
  }
  const [created, id, ...rest] = Buffer.from(after, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !created || !id || !ISO.test(created) || !UUID.test(id) || !isRealInstant(created)) {
    throw new InvalidInput(['query', 'after'], 'value_error', 'Value error, after is not a cursor this service issued');
  }
  return { created, id };
}

/** A timestamp that names a real instant and reads back the same (no 30 February, no year 0). */
function isRealInstant(text: string): boolean {
  const time = Date.parse(text);
  return !Number.isNaN(time) && time >= Date.parse('0001-01-01T00:00:00.000Z') && new Date(time).toISOString() === text;
}

/**
 * `</path?query with after=cursor>; rel="next"` (a cursor, or an event id as it
 * is), keeping every other query
 * parameter. Path-absolute: an absolute-form request target gives only its
 * path (`public-url.ts` puts ROSTER_PUBLIC_URL in front when it is set).
 */
export function nextLink(url: string, cursor: Cursor | string): string {
  const target = url.startsWith('/') ? url : pathOf(url);
  const mark = target.indexOf('?');
  const path = (mark < 0 ? target : target.slice(0, mark)).replace(/^\/+/, '/');
  const search = mark < 0 ? '' : target.slice(mark + 1);
  const params = new URLSearchParams(search);
  params.delete('offset');
  params.set('after', typeof cursor === 'string' ? cursor : encodeCursor(cursor));
  return `<${path}?${params.toString()}>; rel="next"`;
}

/** The path and query of an absolute-form request target (`http://host/path?q`). */
function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}
