import type { ProfileLine } from '../model/reason.js';

/** A profile as written (see profiles/schema.json): strings may hold ${VARIABLES}. */
export type IdValue = number | string;

export interface EntryOverrides {
  mode?: string;
  owner?: IdValue;
  group?: IdValue;
  /** Keep (or set) setuid and setgid bits; without it they are removed. */
  allowSetuid?: boolean;
}

export interface BinarySpec extends EntryOverrides {
  path: string;
  /** Why the entry is there, when a tool added it (`jailbuild test --fix`, `jailbuild trace`): kept in reasons. */
  because?: string;
  as?: string;
  optional?: boolean;
  /** The file is one the host keeps from others, and is meant to be in the jail. */
  secret?: boolean;
}

export interface FileSpec extends EntryOverrides {
  path: string;
  /** Why the entry is there, when a tool added it (`jailbuild test --fix`, `jailbuild trace`): kept in reasons. */
  because?: string;
  dest?: string;
  dereference?: boolean;
  optional?: boolean;
  /** The file is one the host keeps from others, and is meant to be in the jail. */
  secret?: boolean;
}

/** A package installed in the source root whose files the jail gets (see place-packages.ts). */
export interface PackageSpec extends EntryOverrides {
  /** The package's name; `*` matches any characters (`libgs*-common`: whatever version the root has). */
  name: string;
  /** Keep its documentation, manual pages, info pages and translations too (left out by default). */
  docs?: boolean;
  optional?: boolean;
  /** Why the entry is there, when a tool added it: kept in reasons. */
  because?: string;
}

export interface TreeSpec extends FileSpec {
  resolve?: boolean;
  exclude?: string[];
}

export interface ContentSpec extends EntryOverrides {
  path: string;
  text: string;
}

export interface SymlinkSpec {
  path: string;
  target: string;
}

export interface DirectorySpec extends EntryOverrides {
  path: string;
}

export type DeviceName = 'null' | 'zero' | 'full' | 'random' | 'urandom' | 'tty';

export interface DeviceSpec extends EntryOverrides {
  path: string;
  type: 'char' | 'block';
  major: number;
  minor: number;
}

export interface UserSpec {
  name: string;
  uid: IdValue;
  gid: IdValue;
  home?: string;
  shell?: string;
  gecos?: string;
}

export interface GroupSpec {
  name: string;
  gid: IdValue;
  members?: string[];
}

export interface PermissionPolicy {
  owner?: IdValue;
  group?: IdValue;
  mode?: string;
}

export interface MountSpec {
  source: string;
  target: string;
  readOnly?: boolean;
  optional?: boolean;
  /** Follow links owned by root on the way to the source (links owned by anyone else: never). */
  allowLinks?: boolean;
}

/** A file a test puts in the jail before it runs (owned by the test's user). */
export interface TestFileSpec {
  path: string;
  text: string;
  mode?: string;
}

/** A test of a jail: a command run inside it, and what must come of it. */
export interface TestSpec {
  name: string;
  /** Run by the jail's `/bin/sh -c`. */
  run: string;
  /** Account (name or number) it runs as: default the profile's first user, else 65534. */
  user?: IdValue;
  group?: IdValue;
  env?: Record<string, string>;
  /** Folder it starts in (default `/tmp`). */
  cwd?: string;
  files?: TestFileSpec[];
  /** Seconds before it is stopped (default 60). */
  timeout?: number;
  expect?: { exit?: number; stdout?: string; files?: string[] };
}

export interface ProfileDocument {
  $schema?: string;
  name?: string;
  description?: string;
  extends?: string | string[];
  variables?: Record<string, string>;
  root?: string;
  out?: string;
  path?: string;
  binaries?: Array<string | BinarySpec>;
  libraries?: string[];
  files?: Array<string | FileSpec>;
  trees?: Array<string | TreeSpec>;
  packages?: Array<string | PackageSpec>;
  contents?: ContentSpec[];
  symlinks?: SymlinkSpec[];
  directories?: Array<string | DirectorySpec>;
  devices?: Array<DeviceName | DeviceSpec>;
  users?: UserSpec[];
  groups?: GroupSpec[];
  permissions?: PermissionPolicy;
  mounts?: MountSpec[];
  mtime?: number;
  /** A read-only /proc (hidepid=2) in the jail, mounted by `jailbuild mount` and the test runner. */
  proc?: boolean;
  tests?: TestSpec[];
}

/** Where a request in a profile came from: the file, the JSON path and its line, for reasons and errors. */
export type Origin = ProfileLine;

export type Located<T> = T & { origin: Origin };

/** A profile after `extends`, variables and defaults: every list item knows its file and line. */
export interface Profile {
  name: string;
  file: string;
  description?: string;
  root: string;
  out?: string;
  path?: string;
  variables: Record<string, string>;
  binaries: Located<BinarySpec>[];
  libraries: Located<{ soname: string }>[];
  files: Located<FileSpec>[];
  trees: Located<TreeSpec>[];
  packages: Located<PackageSpec>[];
  contents: Located<ContentSpec>[];
  symlinks: Located<SymlinkSpec>[];
  directories: Located<DirectorySpec>[];
  devices: Located<DeviceSpec>[];
  users: Located<UserSpec>[];
  groups: Located<GroupSpec>[];
  permissions: PermissionPolicy;
  mounts: Located<MountSpec>[];
  mtime?: number;
  /** A read-only /proc (hidepid=2) at run time. */
  proc: boolean;
  tests: Located<TestSpec>[];
  /** Every profile file read, the profile itself first. */
  sources: string[];
  /** Where the single-valued fields that others write into config files came from (the last layer that set them). */
  origins?: { name?: Origin; out?: Origin; path?: Origin };
}
