/**
 * Request validation: two Ajv instances (query strings and path parameters
 * are coerced from text; JSON bodies are not), and the translation of Ajv's
 * errors into the contract's pydantic-style 422 detail.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { passwordWeakness } from '../auth/password-policy.js';
import { UUID_PATTERN, unstorableText } from '../domain/text.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Keyword for the largest serialized size of a JSON value (metadata is capped at 16 KiB). */
export const MAX_JSON_BYTES = 'x-max-json-bytes';

/** Keyword of a password field: the password policy of `auth/password-policy.ts` applies. */
export const PASSWORD_POLICY = 'x-password-policy';

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv);
  // The canonical textual form only (ajv-formats also takes `urn:uuid:...`, which no database column takes).
  ajv.addFormat('uuid', UUID_PATTERN);
  ajv.addKeyword({
    keyword: MAX_JSON_BYTES,
    type: 'object',
    schemaType: 'number',
    validate: function maxJsonBytes(limit: number, data: unknown) {
      return Buffer.byteLength(JSON.stringify(data), 'utf8') <= limit;
    },
    errors: false,
  });
  ajv.addKeyword({
    keyword: PASSWORD_POLICY,
    type: 'string',
    schemaType: 'boolean',
    validate: function passwordPolicy(enabled: boolean, data: string) {
      return !enabled || passwordWeakness(data) === undefined;
    },
    errors: false,
  });
  return ajv;
}

const forText = newAjv(true);
const forBody = newAjv(false);

/** The texts pydantic reads as booleans (API.md 1.2), case-insensitively: `is_active=True` works. */
const TRUE_TEXTS = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE_TEXTS = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/** Rewrites pydantic's boolean texts to `true` / `false`; anything else is left for a `bool_parsing` 422. */
function readBooleans(data: unknown, fields: readonly string[]): void {
  const record = data as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    const text = value.toLowerCase();
    if (TRUE_TEXTS.has(text)) record[field] = 'true';
    else if (FALSE_TEXTS.has(text)) record[field] = 'false';
  }
}

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? forBody : forText).compile(schema);
  const properties = Object.entries(
    (schema as { properties?: Record<string, { format?: string; type?: string }> }).properties ?? {},
  );
  const uuidFields = properties.filter(([, property]) => property.format === 'uuid').map(([name]) => name);
  const booleanFields =
    httpPart === 'body' ? [] : properties.filter(([, property]) => property.type === 'boolean').map(([name]) => name);
  return (data: unknown) => {
    if (booleanFields.length > 0 && data !== null && typeof data === 'object') readBooleans(data, booleanFields);
    const valid = validate(data);
    const nul = nulErrors(data);
    if (valid && nul.length === 0) {
      // UUIDs are case-insensitive; the database compares text, so ids are lower-cased here.
      for (const field of uuidFields) {
        const record = data as Record<string, unknown>;
        if (typeof record[field] === 'string') record[field] = (record[field] as string).toLowerCase();
      }
      return true;
    }
    return {
      error: Object.assign(new Error('validation failed'), { validation: [...(validate.errors ?? []), ...nul] }),
    };
  };
};

/** Keyword of the error for text holding a NUL character, which no database stores as text. */
const NO_NUL = 'x-no-nul';
/** Keyword of the error for text that is not valid Unicode (a lone surrogate), which PostgreSQL refuses. */
const NOT_UNICODE = 'x-not-unicode';

function textError(text: string, path: string): ErrorObject[] {
  const problem = unstorableText(text);
  if (problem === undefined) return [];
  return [{ keyword: problem === 'nul' ? NO_NUL : NOT_UNICODE, instancePath: path, schemaPath: '', params: {} }];
}

/**
 * Finds strings (values or keys) anywhere in a request part that no database
 * stores as text: a NUL character, or a lone UTF-16 surrogate (`"\ud800"`
 * in JSON). Both engines refuse them the same way: a 422.
 */
function nulErrors(data: unknown, path = ''): ErrorObject[] {
  if (typeof data === 'string') return textError(data, path);
  if (data === null || typeof data !== 'object') return [];
  const errors: ErrorObject[] = [];
  for (const [key, value] of Object.entries(data)) {
    const child = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    errors.push(...textError(key, child));
    errors.push(...nulErrors(value, child));
  }
  return errors;
}

export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
}

const LOC_ROOT: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };
/** Fields whose values are never echoed back in an error: anything that may hold a secret. */
const SECRET_FIELD = /pass|secret|token|key|auth|cred|code/i;

/** Turns Ajv errors into the contract's 422 detail, one entry per failing field. */
export function toValidationIssues(errors: ErrorObject[], context: string, data: unknown): ValidationIssue[] {
  const root = LOC_ROOT[context] ?? context;
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const issue = toIssue(error, root, data);
    if (!issue) continue;
    const key = JSON.stringify(issue.loc) + issue.type;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function toIssue(error: ErrorObject, root: string, data: unknown): ValidationIssue | undefined {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const loc: (string | number)[] = [root, ...path];
  const params = error.params as Record<string, unknown>;
  const input = valueAt(data, path);
  const text = root !== 'body';

  switch (error.keyword) {
    case 'required':
      return { type: 'missing', loc: [...loc, String(params.missingProperty)], msg: 'Field required' };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      // The value of an unknown field is never echoed: it may be a misspelled secret.
      return { type: 'extra_forbidden', loc: [...loc, field], msg: 'Extra inputs are not permitted' };
    }
    case 'pattern':
      return withInput(
        { type: 'string_pattern_mismatch', loc, msg: `String should match pattern '${String(params.pattern)}'` },
        path,
        input,
      );
    case 'maxLength':
      return withInput(
        { type: 'string_too_long', loc, msg: `String should have at most ${plural(params.limit, 'character')}` },
        path,
        input,
      );
    case 'minLength':
      return withInput(
        { type: 'string_too_short', loc, msg: `String should have at least ${plural(params.limit, 'character')}` },
        path,
        input,
      );
    case 'minimum':
      return withInput(
        { type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${String(params.limit)}` },
        path,
        input,
      );
    case 'maximum':
      return withInput(
        { type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${String(params.limit)}` },
        path,
        input,
      );
    case 'enum':
      return withInput(
        {
          type: 'enum',
          loc,
          msg: `Input should be ${(params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ')}`,
        },
        path,
        input,
      );
    case 'format':
      return withInput(formatIssue(String(params.format), loc), path, input);
    case 'type':
      return withInput(typeIssue(String(params.type), loc, text), path, input);
    case NO_NUL:
      return { type: 'string_nul', loc, msg: 'Value error, text must not contain NUL characters' };
    case NOT_UNICODE:
      return {
        type: 'string_unicode',
        loc,
        msg: 'Input should be a valid string: text must be valid Unicode (no lone surrogate)',
      };
    case PASSWORD_POLICY:
      return {
        type: 'password_too_common',
        loc,
        msg: `Value error, this password is too easy to guess: ${passwordWeakness(String(input)) ?? 'choose another'}`,
      };
    case MAX_JSON_BYTES:
      return { type: 'value_error', loc, msg: 'Value error, serialized size must be at most 16384 bytes' };
    case 'minItems':
    case 'maxItems':
      return withInput(
        { type: 'value_error', loc, msg: `Value error, ${error.message ?? 'wrong number of items'}` },
        path,
        input,
      );
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined; // the branch errors already say what is wrong
    default:
      return withInput(
        { type: 'value_error', loc, msg: `Value error, ${error.message ?? 'invalid value'}` },
        path,
        input,
      );
  }
}

function formatIssue(format: string, loc: (string | number)[]): ValidationIssue {
  switch (format) {
    case 'uuid':
      return { type: 'uuid_parsing', loc, msg: 'Input should be a valid UUID' };
    case 'email':
      return { type: 'value_error', loc, msg: 'value is not a valid email address' };
    case 'uri':
      return { type: 'url_parsing', loc, msg: 'Input should be a valid URL' };
    case 'date-time':
      return { type: 'datetime_parsing', loc, msg: 'Input should be a valid datetime' };
    default:
      return { type: 'value_error', loc, msg: `Input should be a valid ${format}` };
  }
}

function typeIssue(expected: string, loc: (string | number)[], fromText: boolean): ValidationIssue {
  const first = expected.split(',')[0];
  switch (first) {
    case 'string':
      return { type: 'string_type', loc, msg: 'Input should be a valid string' };
    case 'integer':
    case 'number':
      return fromText
        ? { type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer' }
        : { type: 'int_type', loc, msg: 'Input should be a valid integer' };
    case 'boolean':
      return fromText
        ? { type: 'bool_parsing', loc, msg: 'Input should be a valid boolean, unable to interpret input' }
        : { type: 'bool_type', loc, msg: 'Input should be a valid boolean' };
    case 'object':
      return {
        type: loc.length === 1 ? 'model_attributes_type' : 'dict_type',
        loc,
        msg: 'Input should be a valid dictionary',
      };
    case 'array':
      return { type: 'list_type', loc, msg: 'Input should be a valid list' };
    default:
      return { type: `${first}_type`, loc, msg: `Input should be a valid ${first}` };
  }
}

function plural(n: unknown, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let value = data;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Adds the offending input when it is a plain value of a field that cannot
 * hold a secret (objects and arrays are not echoed: they can be large).
 */
function withInput(issue: ValidationIssue, path: (string | number)[], input: unknown): ValidationIssue {
  if (input === undefined || (input !== null && typeof input === 'object')) return issue;
  if (path.some((part) => typeof part === 'string' && SECRET_FIELD.test(part))) return issue;
  if (typeof input === 'string' && input.length > 1024) return { ...issue, input: `${input.slice(0, 1024)}…` };
  return { ...issue, input };
}

const bodyValidators = new WeakMap<object, ReturnType<Ajv['compile']>>();

/**
 * Checks a value against a body schema outside HTTP (the command line takes
 * the same rules as the API); answers the issues, empty when valid.
 */
export function bodyIssues(schema: object, data: unknown): ValidationIssue[] {
  let validate = bodyValidators.get(schema);
  if (!validate) {
    validate = forBody.compile(schema);
    bodyValidators.set(schema, validate);
  }
  const errors = [...(validate(data) ? [] : (validate.errors ?? [])), ...nulErrors(data)];
  return errors.length === 0 ? [] : toValidationIssues(errors, 'body', data);
}
