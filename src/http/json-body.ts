/**
 * Roster's JSON body parser: an empty body is no body (clients that always
 * send `Content-Type: application/json` still reach routes without one),
 * prototype poisoning is refused, and nesting is capped so that no later
 * step can run out of stack on a hostile body.
 */
import sjson from 'secure-json-parse';

export const MAX_JSON_DEPTH = 32;

/** A body that is not acceptable JSON; the error handler answers 422 `json_invalid`. */
export class JsonBodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'ROSTER_JSON_INVALID';
}

export function parseJsonBody(_request: unknown, body: string, done: (error: Error | null, value?: unknown) => void) {
  if (body.trim().length === 0) return done(null, undefined);
  let value: unknown;
  try {
    value = sjson.parse(body, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return done(new JsonBodyError('JSON decode error'));
  }
  if (depthOf(value) > MAX_JSON_DEPTH) {
    return done(new JsonBodyError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
  }
  done(null, value);
}

/** Nesting depth of a parsed JSON value, without recursion. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) max = depth;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return max;
}
