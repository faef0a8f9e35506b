import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve as resolveHostPath } from 'node:path';
import { JailError, printable } from '../errors.js';
import { parseJsonDocument, type JsonDocument } from './json-document.js';
import type { DeviceName, DeviceSpec, IdValue, Located, Origin, PackageSpec, Profile, ProfileDocument } from './profile-types.js';
import { distance, SHIPPED_PROFILES, validateProfileDocument } from './validate-profile.js';
import { accountProblems } from './validate-values.js';

export interface LoadProfileOptions {
  /** `--set NAME=VALUE` values; they win over every profile's defaults. */
  set?: Record<string, string>;
  /** Folders searched for profiles named without a path, before the shipped ones. */
  searchPath?: string[];
  /**
   * Profile files that may grant (secrets, setuid bits, devices) like the one named: `jailbuild test
   * --fix` builds the fix file, which extends the profile the admin named, and that one keeps its say.
   */
  alsoTrusted?: string[];
}

const DEVICES: Record<DeviceName, { major: number; minor: number; mode: string }> = {
  null: { major: 1, minor: 3, mode: '0666' },
  zero: { major: 1, minor: 5, mode: '0666' },
  full: { major: 1, minor: 7, mode: '0666' },
  random: { major: 1, minor: 8, mode: '0666' },
  urandom: { major: 1, minor: 9, mode: '0666' },
  tty: { major: 5, minor: 0, mode: '0666' },
};

const LIST_FIELDS = ['binaries', 'libraries', 'files', 'trees', 'packages', 'contents', 'symlinks', 'directories', 'devices', 'users', 'groups', 'mounts', 'tests'] as const;
type ListField = (typeof LIST_FIELDS)[number];

/**
 * Finds a profile: a path that exists is used as it is; otherwise NAME (or NAME.json) is looked up in
 * the search path, then among the shipped profiles.
 */
export function findProfile(nameOrPath: string, searchPath: string[] = [], relativeTo = process.cwd()): string {
  const direct = isAbsolute(nameOrPath) ? nameOrPath : resolveHostPath(relativeTo, nameOrPath);
  if (existsSync(direct) && statSync(direct).isFile()) return direct;
  const looksLikePath = nameOrPath.includes('/');
  if (!looksLikePath) {
    const file = nameOrPath.endsWith('.json') ? nameOrPath : `${nameOrPath}.json`;
    for (const dir of [...searchPath, SHIPPED_PROFILES]) {
      const candidate = join(dir, file);
      if (existsSync(candidate)) return candidate;
    }
  }
  const where = looksLikePath ? direct : `${direct}, the profile search path (${[...searchPath, SHIPPED_PROFILES].join(', ')})`;
  throw new JailError('INPUT', `profile ${nameOrPath} not found (looked in ${where})`, { file: nameOrPath });
}

interface RawLayer {
  file: string;
  doc: JsonDocument;
  body: ProfileDocument;
}

/** Reads, validates and flattens a profile with everything it extends; variables are applied. */
export function loadProfile(nameOrPath: string, options: LoadProfileOptions = {}): Profile {
  const file = findProfile(nameOrPath, options.searchPath ?? []);
  const layers: RawLayer[] = [];
  collectLayers(file, options.searchPath ?? [], [], layers, new Set());
  return flatten(file, layers, options);
}

/**
 * The same for a profile given as a value (built by a program, not read from a file): `file` names it
 * in messages and reasons (default `<object>`) and `dir` is where a relative `extends`, `root` or
 * `out` is taken from (default: the working folder). It is checked against the schema like a file.
 */
export function loadProfileFromObject(value: unknown, options: LoadProfileOptions & { file?: string; dir?: string } = {}): Profile {
  const file = resolveHostPath(options.dir ?? process.cwd(), options.file ?? '<object>');
  const doc = parseJsonDocument(JSON.stringify(value, null, 2) ?? 'null', file);
  const layers: RawLayer[] = [];
  collectLayers(file, options.searchPath ?? [], [], layers, new Set(), doc);
  return flatten(file, layers, options);
}

/**
 * `--set NAME=VALUE` for a NAME that no profile of the chain declares (in `variables`) or uses (as
 * `${NAME}`) would change nothing: a typo. Refused, with the closest name.
 */
function refuseUnknownSettings(set: Record<string, string>, layers: RawLayer[], declared: Record<string, string>, file: string): void {
  const known = new Set(Object.keys(declared));
  for (const layer of layers) for (const m of JSON.stringify(layer.body).matchAll(VARIABLE)) known.add(m[1] as string);
  for (const name of Object.keys(set)) {
    if (known.has(name)) continue;
    const best = [...known].map((k) => ({ k, d: distance(name, k) })).sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))[0];
    const hint = best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean ${best.k}?` : known.size ? `; its variables: ${[...known].sort().join(', ')}` : '; it has no variables';
    throw new JailError('INPUT', `--set ${printable(name, 60)}: no profile of ${file} declares or uses that variable${hint}`, { file, field: '/variables' });
  }
}

/** Variables, then every layer in order (parents first): the profile as one value. */
function flatten(file: string, layers: RawLayer[], options: LoadProfileOptions): Profile {
  // Variables: defaults from every layer (later layers win), then --set.
  const variables: Record<string, string> = {};
  for (const layer of layers) Object.assign(variables, layer.body.variables ?? {});
  refuseUnknownSettings(options.set ?? {}, layers, variables, file);
  Object.assign(variables, options.set ?? {});
  expandVariables(variables, file);
  const growth = { added: 0 };

  const top = layers[layers.length - 1] as RawLayer;
  const origins: NonNullable<Profile['origins']> = {};
  const profile: Profile = {
    name: '',
    file,
    root: '/',
    variables,
    binaries: [],
    libraries: [],
    files: [],
    trees: [],
    contents: [],
    symlinks: [],
    directories: [],
    devices: [],
    users: [],
    groups: [],
    permissions: {},
    mounts: [],
    proc: false,
    tests: [],
    packages: [],
    sources: [
      file,
      ...layers
        .slice(0, -1)
        .map((l) => l.file)
        .reverse(),
    ],
    origins,
  };

  for (const layer of layers) {
    const sub = <T>(value: T, pointer: string): T => substitute(value, variables, layer, pointer, growth);
    const b = layer.body;
    // Folders on the host given relative to a profile are taken from that profile's folder.
    if (b.root !== undefined) profile.root = resolveHostPath(dirname(layer.file), sub(b.root, '/root'));
    const from = (pointer: string): Origin => ({ file: layer.file, pointer, line: layer.doc.lineOf(pointer) });
    if (b.out !== undefined) {
      profile.out = resolveHostPath(dirname(layer.file), sub(b.out, '/out'));
      origins.out = from('/out');
    }
    if (b.path !== undefined) {
      profile.path = sub(b.path, '/path');
      origins.path = from('/path');
    }
    if (b.description !== undefined) profile.description = sub(b.description, '/description');
    if (b.mtime !== undefined) profile.mtime = b.mtime;
    if (b.proc !== undefined) profile.proc = b.proc;
    if (b.permissions) profile.permissions = { ...profile.permissions, ...sub(b.permissions, '/permissions') };
    const trusted = layer === top || dirname(layer.file) === SHIPPED_PROFILES || (options.alsoTrusted ?? []).includes(layer.file);
    for (const field of LIST_FIELDS) {
      const items = (b[field] ?? []) as unknown[];
      items.forEach((item, i) => {
        const origin: Origin = { file: layer.file, pointer: `/${field}/${i}`, line: layer.doc.lineOf(`/${field}/${i}`) };
        if (!trusted) refuseGrant(field, item, layer, origin.pointer, file);
        const value = sub(item, origin.pointer);
        addItem(profile, field, value, origin, layer);
      });
    }
  }
  profile.name = top.body.name !== undefined ? substitute(top.body.name, variables, top, '/name', growth) : basename(file).replace(/\.json$/, '');
  if (top.body.name !== undefined) origins.name = { file: top.file, pointer: '/name', line: top.doc.lineOf('/name') };
  refuseBadAccounts(profile, layers);
  return profile;
}

/** The schema checked the raw text; variables are in now, so the accounts are checked again as written. */
function refuseBadAccounts(profile: Profile, layers: RawLayer[]): void {
  const problems = accountProblems(profile.users, profile.groups);
  const first = problems[0];
  if (!first) return;
  const docs = new Map(layers.map((l) => [l.file, l.doc]));
  const lines = problems.map((p) => `${p.file}:${docs.get(p.file)?.lineOf(p.pointer) ?? 1}: ${p.pointer}: ${p.message}`);
  throw new JailError('INPUT', lines.join('\n'), { file: first.file, field: first.pointer });
}

/** Character devices any jail may hold (by number): null, zero, full, random, urandom, tty. */
const HARMLESS_DEVICES = new Set(Object.values(DEVICES).map((d) => `${d.major},${d.minor}`));

/**
 * What only the profile named on the command line (or a shipped one) may grant: a host secret, a
 * setuid bit, a device other than the harmless six. A profile it extends (found in the search path,
 * written by someone else) could otherwise hand an inmate the host's keys or its disks.
 */
function refuseGrant(field: ListField, item: unknown, layer: RawLayer, pointer: string, top: string): void {
  if (item === null || typeof item !== 'object') return;
  const o = item as Record<string, unknown>;
  const grant =
    o.secret === true
      ? '"secret": true'
      : o.allowSetuid === true
        ? '"allowSetuid": true'
        : field === 'devices' && (o.type !== 'char' || !HARMLESS_DEVICES.has(`${String(o.major)},${String(o.minor)}`))
          ? `the ${String(o.type)} device ${String(o.major)},${String(o.minor)}`
          : undefined;
  if (grant === undefined) return;
  throw new JailError(
    'INPUT',
    `${layer.file}:${layer.doc.lineOf(pointer)}: ${pointer}: ${grant} can only be granted by the profile named on the command line (${top}) or a shipped one, not by a profile it extends: move it there`,
    { file: layer.file, field: pointer },
  );
}

/** Reads `file` (or takes `given`, a profile passed as a value) and, first, everything it extends. */
function collectLayers(file: string, searchPath: string[], chain: string[], out: RawLayer[], done: Set<string>, given?: JsonDocument): void {
  if (chain.includes(file)) {
    throw new JailError('INPUT', `${file}: extends cycle: ${[...chain.slice(chain.indexOf(file)), file].join(' -> ')}`, { file, field: '/extends' });
  }
  if (done.has(file)) return;
  const doc = given ?? readProfileFile(file);
  validateProfileDocument(doc);
  const body = doc.value as ProfileDocument;
  const parents = body.extends === undefined ? [] : Array.isArray(body.extends) ? body.extends : [body.extends];
  parents.forEach((parent, i) => {
    let parentFile: string;
    try {
      parentFile = parent.includes('/') || parent.endsWith('.json') ? findProfile(parent, [], dirname(file)) : findProfile(parent, searchPath, dirname(file));
    } catch (err) {
      const pointer = Array.isArray(body.extends) ? `/extends/${i}` : '/extends';
      throw new JailError('INPUT', `${file}:${doc.lineOf(pointer)}: ${pointer}: ${(err as Error).message}`, { file, field: pointer });
    }
    collectLayers(parentFile, searchPath, [...chain, file], out, done);
  });
  done.add(file);
  out.push({ file, doc, body });
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The longest value a variable may take once expanded. Variables name paths, users and short texts;
 * without a bound, 40 variables that each use the previous one twice ask for 2^40 characters.
 */
export const MAX_VARIABLE_LENGTH = 64 * 1024;
/** How much longer a whole profile (every layer) may grow through its variables. */
const MAX_GROWTH = 4 * 1024 * 1024;
/** A profile file larger than this is refused before it is read: profiles are a few KiB. */
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;

function readProfileFile(file: string): JsonDocument {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_PROFILE_BYTES) throw new JailError('INPUT', `${file}: ${size} bytes: too large for a profile (at most ${MAX_PROFILE_BYTES})`, { file });
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof JailError) throw err;
    throw new JailError('INPUT', `${file}: cannot read the profile: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
  return parseJsonDocument(text, file);
}

/** Variables may use others (`WEBROOT: /srv/www/${POOL}`): expanded in place; a cycle or a blow-up is an error. */
function expandVariables(variables: Record<string, string>, file: string): void {
  const done = new Set<string>();
  const expand = (name: string, stack: string[]): string => {
    const raw = variables[name] as string;
    if (done.has(name)) return raw;
    if (stack.includes(name)) throw new JailError('INPUT', `${file}: variables refer to each other in a cycle: ${[...stack, name].join(' -> ')}`, { file, field: '/variables' });
    let length = raw.length;
    const value = raw.replace(VARIABLE, (m, inner: string) => {
      if (variables[inner] === undefined) return m;
      const part = expand(inner, [...stack, name]);
      length += part.length - m.length;
      if (length > MAX_VARIABLE_LENGTH) {
        throw new JailError('INPUT', `${file}: variable ${name}: its value grows past ${MAX_VARIABLE_LENGTH} characters when its variables are expanded (${[...stack, name, inner].join(' -> ')})`, {
          file,
          field: `/variables/${name}`,
        });
      }
      return part;
    });
    variables[name] = value;
    done.add(name);
    return value;
  };
  for (const name of Object.keys(variables)) expand(name, []);
}

/**
 * Replaces ${NAME} in every string of a value; an unknown variable names the file, line and field.
 * `growth` counts what the variables add across the whole profile: past MAX_GROWTH, the string that
 * crosses it is named and the profile refused (a handful of short variables repeated thousands of
 * times could otherwise fill memory).
 */
function substitute<T>(value: T, variables: Record<string, string>, layer: RawLayer, pointer: string, growth: { added: number }): T {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (m, name: string) => {
      const v = variables[name];
      if (v === undefined) {
        throw new JailError('INPUT', `${layer.file}:${layer.doc.lineOf(pointer)}: ${pointer}: unknown variable \${${name}} (define it in "variables" or with --set ${name}=VALUE)`, { file: layer.file, field: pointer });
      }
      growth.added += v.length - m.length;
      if (growth.added > MAX_GROWTH) {
        throw new JailError('INPUT', `${layer.file}:${layer.doc.lineOf(pointer)}: ${pointer}: with \${${name}}, variables make the profile more than ${MAX_GROWTH} characters longer`, { file: layer.file, field: pointer });
      }
      return v;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, variables, layer, `${pointer}/${i}`, growth)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, variables, layer, `${pointer}/${k}`, growth);
    return out as T;
  }
  return value;
}

function addItem(profile: Profile, field: ListField, value: unknown, origin: Origin, layer: RawLayer): void {
  const located = <T extends object>(v: T): Located<T> => ({ ...v, origin });
  switch (field) {
    case 'binaries':
    case 'files':
    case 'trees':
    case 'directories':
      (profile[field] as unknown[]).push(located(typeof value === 'string' ? { path: value } : (value as object)));
      break;
    case 'libraries':
      profile.libraries.push(located({ soname: value as string }));
      break;
    case 'packages':
      profile.packages.push(located(typeof value === 'string' ? { name: value } : (value as PackageSpec)));
      break;
    case 'devices': {
      if (typeof value === 'string') {
        const d = DEVICES[value as DeviceName];
        profile.devices.push(located<DeviceSpec>({ path: `/dev/${value}`, type: 'char', major: d.major, minor: d.minor, mode: d.mode }));
      } else profile.devices.push(located(value as DeviceSpec));
      break;
    }
    default:
      (profile[field] as unknown[]).push(located(value as object));
  }
  void layer;
}

/** `FILE:LINE: POINTER` (or `FILE: POINTER` when the line is not known), as errors name a profile value. */
export function describeOrigin(origin: Origin): string {
  return origin.line !== undefined ? `${origin.file}:${origin.line}: ${origin.pointer}` : `${origin.file}: ${origin.pointer}`;
}

/** A numeric id from a profile value (`1001` or `"1001"` after variables); names the field when it is not one. */
export function toId(value: IdValue | undefined, origin: Origin | string, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
    const file = typeof origin === 'string' ? origin : `${origin.file}: ${origin.pointer}`;
    throw new JailError('INPUT', `${file}/${field}: ${JSON.stringify(value)} is not a numeric id`, { file: typeof origin === 'string' ? origin : origin.file, field });
  }
  return n;
}
