/**
 * Editing with `If-Match`: when the save answers 412, someone else changed
 * the account since the form was loaded. These functions say what the
 * person changed, what the other side changed, and where the two collide,
 * so that the page can explain it instead of silently overwriting.
 */
export type Values = Record<string, string | boolean | null>;

export interface FieldChange {
  field: string;
  from: string | boolean | null;
  to: string | boolean | null;
}

/** The fields whose value differs between `before` and `after`. */
export function changes(before: Values, after: Values): FieldChange[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  const found: FieldChange[] = [];
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (from !== to) found.push({ field, from, to });
  }
  return found;
}

export interface Conflict {
  /** What the other side changed since the form was loaded. */
  theirs: FieldChange[];
  /** What this form changes. */
  mine: FieldChange[];
  /** Fields both changed, to different values. */
  clashing: string[];
}

/**
 * `base`: the account as the form loaded it; `mine`: the form now;
 * `current`: the account as the server has it now.
 */
export function conflictOf(base: Values, mine: Values, current: Values): Conflict {
  const relevant = (values: Values) => Object.fromEntries(Object.keys(base).map((k) => [k, values[k] ?? null]));
  const theirs = changes(base, relevant(current));
  const minec = changes(base, relevant(mine));
  const clashing = minec.filter((m) => theirs.some((t) => t.field === m.field && t.to !== m.to)).map((m) => m.field);
  return { theirs, mine: minec, clashing };
}

/** The body of a PATCH: the fields changed by the form, empty texts as `null`. */
export function patchOf(base: Values, mine: Values): Record<string, string | boolean | null> {
  const body: Record<string, string | boolean | null> = {};
  for (const change of changes(base, mine)) {
    body[change.field] = change.to === '' ? null : change.to;
  }
  return body;
}
