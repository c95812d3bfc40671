/** ETags carry a resource's version: `"v3"`. */
export function etag(version: number): string {
  return `"v${version}"`;
}

/**
 * Parses `If-Match` into the versions it accepts: undefined when the header
 * is absent or `*` (any current version); an empty list when it names none
 * that Roster could have sent, so it can never match.
 */
export function parseIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return undefined;
  const versions: number[] = [];
  for (const part of trimmed.split(',')) {
    const match = /^"v(\d{1,15})"$/.exec(part.trim());
    if (match) versions.push(Number(match[1]));
  }
  return versions;
}
