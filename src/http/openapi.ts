/**
 * The last touches of the OpenAPI document (API.md 1), applied once to what
 * `@fastify/swagger` builds from the route schemas, so that generated
 * clients can trust it and Redocly's recommended rules pass:
 * - `servers` is ROSTER_PUBLIC_URL when set (else `/`, the document's own origin);
 * - every tag is described, in a fixed order;
 * - every operation states its `security` (empty for the public ones);
 * - query parameters with a default are not required (validation fills the default in);
 * - every response has a description (a 2xx without one is described by its status and schema);
 * - every request and response schema carries its example (`examples.ts`).
 */
import { EXAMPLES } from './examples.js';

type Json = Record<string, any>;

/** Tags in the order the reference page shows them, with their descriptions. */
const TAGS: [string, string][] = [
  ['auth', 'Log in and out: passwords, API keys, single sign-on and device login for command-line clients.'],
  ['users', 'Accounts: list with filters, read, create, update (PATCH, or PUT as a synonym) and delete.'],
  ['organizations', 'Organizations and their members (by id, or by name in paths).'],
  ['workspaces', 'Workspaces inside an organization, and their members.'],
  ['api keys', "Service accounts' API keys: shown once when created, stored only as hashes."],
  ['invitations', 'Invitations to organizations, accepted or declined by the invitee.'],
  ['events', 'The audit log and change feed, with long polling.'],
  ['webhooks', 'Signed webhook deliveries of events, with their delivery history.'],
  ['health', 'Liveness and readiness, for load balancers and orchestrators.'],
];

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'Done; no content',
  '302': 'Redirect',
  '303': 'Redirect',
};

function schemaName(response: Json): string | undefined {
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return undefined;
  const named = (s: Json) => s.title ?? (typeof s.$ref === 'string' ? s.$ref.split('/').pop() : undefined);
  if (schema.type === 'array' && schema.items) {
    const item = named(schema.items);
    return item ? `a list of ${item}` : 'a list';
  }
  return named(schema);
}

/** Puts its example on every schema named in `EXAMPLES` (wherever the schema appears). */
function addExamples(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) addExamples(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Json;
  if (typeof schema.title === 'string' && schema.examples === undefined && schema.title in EXAMPLES) {
    schema.examples = [EXAMPLES[schema.title]];
  }
  for (const value of Object.values(schema)) addExamples(value);
}

export function finishDocument(document: Json, publicUrl: string | undefined): Json {
  addExamples(document.components);
  addExamples(document.paths);
  document.servers = [{ url: publicUrl ?? '/', description: publicUrl ? 'This Roster' : "The document's own origin" }];
  const used = new Set<string>();
  for (const operations of Object.values(document.paths ?? {}) as Json[]) {
    for (const operation of Object.values(operations) as Json[]) {
      for (const tag of operation.tags ?? []) used.add(tag);
      operation.security ??= [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined) delete parameter.required;
      }
      for (const [status, response] of Object.entries(operation.responses ?? {}) as [string, Json][]) {
        if (response.description && response.description !== 'Default Response') continue;
        const name = schemaName(response);
        const text = STATUS_TEXT[status] ?? `HTTP ${status}`;
        response.description = name ? `${text}: ${name}` : text;
      }
    }
  }
  const known = new Set(TAGS.map(([name]) => name));
  document.tags = [
    ...TAGS.filter(([name]) => used.has(name)).map(([name, description]) => ({ name, description })),
    ...[...used].filter((name) => !known.has(name)).map((name) => ({ name })),
  ];
  return document;
}
