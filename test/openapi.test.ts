// The OpenAPI document as generators read it: examples that validate, described responses and
// tags, security on every operation, defaults not required, servers from ROSTER_PUBLIC_URL.
// (Redocly's recommended lint runs on it in CI: `npm run lint:openapi`.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createTestApp, type TestApp } from './helpers.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
type Json = Record<string, any>;

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Json;
  before(async () => {
    t = await createTestApp('sqlite');
    doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  after(() => t.close());

  const operations = () =>
    Object.entries(doc.paths as Json).flatMap(([path, methods]) =>
      Object.entries(methods as Json).map(([method, op]) => ({ path, method, op: op as Json })),
    );
  const resolve = (schema: Json): Json =>
    typeof schema.$ref === 'string' ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;

  /** Every request body and 2xx JSON response (its media type object), with where it is. */
  function payloads(): { where: string; media: Json }[] {
    const found: { where: string; media: Json }[] = [];
    for (const { path, method, op } of operations()) {
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) {
        found.push({ where: `${method} ${path} body (${type})`, media });
      }
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const media = response.content?.['application/json'];
        if (status.startsWith('2') && media) found.push({ where: `${method} ${path} ${status}`, media });
      }
    }
    return found;
  }

  /** The examples a reader finds: on the media type, or on the schema (of a list: of its items, wrapped). */
  function examplesOf(media: Json): unknown[] {
    if (media.example !== undefined) return [media.example];
    if (media.examples) return Object.values(media.examples as Json).map((e) => e.value);
    const schema = resolve(media.schema);
    if (schema.examples) return schema.examples;
    if (schema.type === 'array' && schema.items) {
      const items = resolve(schema.items).examples as unknown[] | undefined;
      return items ? [items] : [];
    }
    return [];
  }

  it('has an example on every request body and response schema, and each one validates', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const components = JSON.parse(JSON.stringify(doc.components).replaceAll('"#/components/', '"openapi#/components/'));
    ajv.addSchema({ $id: 'openapi', components });
    let checked = 0;
    for (const { where, media } of payloads()) {
      const examples = examplesOf(media);
      assert.ok(examples.length > 0, `${where} has an example`);
      const validate = ajv.compile(
        JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi#/components/')),
      );
      for (const example of examples) {
        assert.ok(validate(example), `${where}: the example validates: ${JSON.stringify(validate.errors)}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 40, `${checked} examples checked`);
  });

  it('describes every response, and every tag it uses', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        assert.ok(response.description, `${method} ${path} ${status} is described`);
        assert.notEqual(response.description, 'Default Response', `${method} ${path} ${status}`);
      }
    }
    const described = new Map((doc.tags as Json[]).map((tag) => [tag.name, tag.description]));
    for (const { path, op } of operations()) {
      for (const tag of op.tags) assert.ok(described.get(tag), `tag ${tag} of ${path} is described`);
    }
  });

  it('states security on every operation: empty for the public ones, the bearer scheme for the others', () => {
    const publicOperations = new Set([
      'login',
      'startDeviceAuthorization',
      'health',
      'healthLive',
      'healthReady',
      'ssoLogin',
      'ssoCallback',
    ]);
    for (const { path, method, op } of operations()) {
      assert.ok(Array.isArray(op.security), `${method} ${path} states its security`);
      if (op.security.length === 0) {
        assert.ok(publicOperations.has(op.operationId), `${op.operationId} is public on purpose`);
      } else {
        assert.deepEqual(op.security, [{ bearer: [] }], `${method} ${path}`);
      }
    }
    assert.deepEqual(
      operations().find((o) => o.op.operationId === 'listUsers')?.op.security,
      [{ bearer: [] }],
      'the users list needs a token',
    );
  });

  it('does not require query parameters that have a default', () => {
    const list = operations().find((o) => o.op.operationId === 'listUsers')!.op;
    for (const name of ['offset', 'limit', 'include_total']) {
      const parameter = (list.parameters as Json[]).find((p) => p.name === name)!;
      assert.notEqual(parameter.schema.default, undefined, `${name} has a default`);
      assert.notEqual(parameter.required, true, `${name} is optional`);
    }
    for (const { path, op } of operations()) {
      for (const parameter of (op.parameters ?? []) as Json[]) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined)
          assert.notEqual(parameter.required, true, `${path} ${parameter.name}`);
      }
    }
  });

  it('names its server: ROSTER_PUBLIC_URL when set, else the origin it is served from', async () => {
    assert.deepEqual(
      doc.servers.map((s: Json) => s.url),
      ['/'],
    );
    const configured = await createTestApp('sqlite', { ROSTER_PUBLIC_URL: 'https://roster.example.com' });
    try {
      const other = (await configured.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.deepEqual(
        other.servers.map((s: Json) => s.url),
        ['https://roster.example.com'],
      );
    } finally {
      await configured.close();
    }
  });
});
