import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { JailError } from '../errors.js';
import { loadCommonJs } from '../io/code-cache.js';
import type { JsonDocument } from './json-document.js';

/** The folder of shipped profiles (and of schema.json). */
export const SHIPPED_PROFILES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'profiles');

/**
 * The validator compiled at build time (scripts/build-validator.mjs). Named through ../profile/ so it
 * is found from dist/src/profile/ and from the CLI bundle (dist/src/bundle/) alike.
 */
export function profileValidatorFile(): string {
  return fileURLToPath(new URL('../profile/profile-validator.cjs', import.meta.url));
}

/**
 * V8's code cache for that validator, made at build time (scripts/make-code-cache.mjs) beside the CLI
 * bundle. Compiled from source, loading it and checking a first profile took 18-20 ms of every
 * command that reads a profile (137 KB of generated code, its functions compiled on first call).
 */
export const PROFILE_VALIDATOR_CACHE = fileURLToPath(new URL('../bundle/profile-validator.v8cache', import.meta.url));

type Schema = { properties?: Record<string, Schema>; items?: Schema; oneOf?: Schema[]; definitions?: Record<string, Schema>; $ref?: string };

let compiled: { validate: ValidateFunction; schema: Schema } | undefined;

function validator(): { validate: ValidateFunction; schema: Schema } {
  if (!compiled) {
    const text = readFileSync(join(SHIPPED_PROFILES, 'schema.json'), 'utf8');
    const schema = JSON.parse(text) as Schema;
    // The validator compiled at build time, with its code cache, when it was made from this very
    // schema; else the schema is compiled here (a build made with plain tsc, an edited schema).
    let validate: ValidateFunction | undefined;
    try {
      const built = loadCommonJs(profileValidatorFile(), PROFILE_VALIDATOR_CACHE).exports as ValidateFunction & { schemaSha256?: string };
      if (built.schemaSha256 === createHash('sha256').update(text).digest('hex')) validate = built;
    } catch {
      validate = undefined;
    }
    if (!validate) {
      // Loaded when a profile is read, not by every command.
      const require = createRequire(import.meta.url);
      const AjvModule = require('ajv') as { default?: unknown };
      const Ajv = (AjvModule.default ?? AjvModule) as new (opts: object) => { compile(s: object): ValidateFunction };
      validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    }
    compiled = { validate, schema };
  }
  return compiled;
}

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The properties the schema allows for the object at `pointer` (following items and oneOf branches). */
function knownFields(schema: Schema, pointer: string): string[] {
  const root = schema;
  const deref = (s: Schema): Schema => (s.$ref ? (root.definitions?.[s.$ref.split('/').pop() as string] ?? s) : s);
  let options: Schema[] = [schema];
  for (const part of pointer.split('/').slice(1)) {
    const next: Schema[] = [];
    for (const raw of options) {
      const s = deref(raw);
      const candidates = s.oneOf ? s.oneOf.map(deref) : [s];
      for (const c of candidates) {
        if (/^\d+$/.test(part) && c.items) next.push(c.items);
        else if (c.properties?.[part]) next.push(c.properties[part]);
      }
    }
    options = next;
  }
  const names = new Set<string>();
  for (const raw of options) {
    const s = deref(raw);
    for (const c of s.oneOf ? s.oneOf.map(deref) : [s]) for (const k of Object.keys(c.properties ?? {})) names.add(k);
  }
  return [...names];
}

function describe(err: ErrorObject, schema: Schema): string {
  const where = err.instancePath || '/';
  if (err.keyword === 'additionalProperties') {
    const field = (err.params as { additionalProperty: string }).additionalProperty;
    const known = knownFields(schema, err.instancePath);
    const best = known.map((k) => ({ k, d: distance(field.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
    const hint = best && best.d <= Math.max(2, Math.floor(field.length / 3)) ? `; did you mean "${best.k}"?` : known.length ? `; known fields: ${known.join(', ')}` : '';
    return `${where === '/' ? '' : where}/${field}: unknown field${hint}`;
  }
  if (err.keyword === 'enum') return `${where}: must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (err.keyword === 'required') return `${where}: the field "${(err.params as { missingProperty: string }).missingProperty}" is required`;
  if (err.keyword === 'pattern' && /\/(mode)$/.test(where)) return `${where}: must be octal permission bits such as "0755" or "1777"`;
  if (err.keyword === 'pattern' && /^\/(users|groups)\/\d+\/(name|members\/\d+)$/.test(where)) {
    return `${where}: must be a name useradd accepts (lower-case letters, digits, '_' and '-', starting with a letter or '_', optionally ending in '$') or \${VARIABLES}`;
  }
  if (err.keyword === 'pattern' && /^\/users\/\d+\/(home|shell)$/.test(where)) return `${where}: must be an absolute path without ':' or control characters (they add accounts or shift the fields of /etc/passwd)`;
  if (err.keyword === 'pattern' && /^\/users\/\d+\/gecos$/.test(where)) return `${where}: must not hold ':' or control characters (they add accounts or shift the fields of /etc/passwd)`;
  return `${where}: ${err.message ?? 'is not valid'}`;
}

/**
 * Checks a profile document against profiles/schema.json. Throws one JailError whose message has one
 * line per problem, each naming the file, the line and the JSON path, and saying what was expected.
 */
export function validateProfileDocument(doc: JsonDocument): void {
  const { validate, schema } = validator();
  if (validate(doc.value)) return;
  const errors = validate.errors ?? [];
  // oneOf failures repeat every branch's complaint: keep the most specific (deepest) ones per path.
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of specific) {
    const list = byPath.get(e.instancePath) ?? [];
    list.push(e);
    byPath.set(e.instancePath, list);
  }
  const paths = [...byPath.keys()];
  const kept = paths.filter((p) => !paths.some((q) => q !== p && q.startsWith(`${p}/`)));
  const lines: string[] = [];
  for (const p of kept) {
    const list = byPath.get(p) as ErrorObject[];
    // For a value that may be a string or an object, "must be string" says less than the object's own complaint.
    const preferred = list.find((e) => e.keyword === 'additionalProperties') ?? list.find((e) => e.keyword === 'required') ?? list.find((e) => e.keyword !== 'type') ?? list[0];
    if (!preferred) continue;
    const types = list.filter((e) => e.keyword === 'type').map((e) => (e.params as { type: string }).type);
    const message = preferred.keyword === 'type' && types.length > 1 ? `${p || '/'}: must be ${[...new Set(types)].join(' or ')}` : describe(preferred, schema);
    const pointer = preferred.keyword === 'additionalProperties' ? `${p}/${(preferred.params as { additionalProperty: string }).additionalProperty}` : p;
    lines.push(`${doc.file}:${doc.lineOf(pointer)}: ${message}`);
  }
  if (lines.length === 0) lines.push(`${doc.file}: does not match the profile schema`);
  throw new JailError('INPUT', lines.join('\n'), { file: doc.file, field: kept[0] ?? '/' });
}
