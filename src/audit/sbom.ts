import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileWhole } from '../io/write-whole.js';
import { resolve as resolveHostPath } from 'node:path';
import { sourceDateEpoch } from '../config/source-date-epoch.js';
import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { type DebPackage, dpkgOwners, readDpkgStatus, readOsRelease } from '../packages/dpkg-database.js';

export interface SbomFile {
  /** Path in the jail. */
  path: string;
  /** Its real path in the source root (the manifest's or plan's source, else the same path). */
  source: string;
  sha256?: string;
  /** Why the file has no sha256 (sparse, over the hash limit, no regular file any more). */
  notHashed?: string;
  executable: boolean;
}

export interface SbomSummary {
  file: string;
  packages: number;
  files: number;
  unowned: number;
}

function purl(pkg: DebPackage, os: { id: string; versionId?: string }): string {
  const distro = os.versionId ? `&distro=${os.id}-${os.versionId}` : '';
  return `pkg:deb/${os.id}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}?arch=${pkg.architecture}${distro}`;
}

/** A file as a CycloneDX component: with its hash, or with a property saying why it has none. */
function fileComponent(f: SbomFile): object {
  const hashed = f.sha256 ? { hashes: [{ alg: 'SHA-256', content: f.sha256 }] } : {};
  const why = f.notHashed !== undefined ? { properties: [{ name: 'jailbuild:not-hashed', value: f.notHashed }] } : {};
  return { type: 'file', 'bom-ref': `file:${f.path}`, name: f.path, ...hashed, ...why };
}

function jailbuildVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** A name-based UUID (version 5 layout) from the document's contents: the same jail gives the same serial number. */
function serialOf(body: string): string {
  const h = createHash('sha1').update(body).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * A CycloneDX 1.5 JSON document for a jail: one component per Debian package owning a file of the
 * jail (purl, version, the files as nested `file` components with their sha256), files owned by no
 * package (generated passwd, ld.so.cache, copied data) as top-level `file` components, and the jail
 * itself as the `container` it describes. Packages come from the source root's dpkg database.
 */
export function buildSbom(name: string, files: SbomFile[], source: SourceRoot): { doc: object; packages: number; unowned: number } {
  const realOf = (path: string): string => {
    try {
      const dir = source.lookup(dirnameInside(path));
      return dir.kind === 'directory' ? joinInside(dir.path, basenameInside(path)) : path;
    } catch {
      return path;
    }
  };
  const real = new Map(files.map((f) => [f.path, realOf(f.source)]));
  const owners = dpkgOwners(source, new Set(real.values()), readDpkgStatus(source));
  const os = readOsRelease(source);
  const byPackage = new Map<string, { pkg: DebPackage; files: SbomFile[] }>();
  const unowned: SbomFile[] = [];
  for (const f of files) {
    const pkgs = owners.get(real.get(f.path) as string);
    if (!pkgs) {
      unowned.push(f);
      continue;
    }
    for (const pkg of pkgs) {
      const ref = purl(pkg, os);
      const slot = byPackage.get(ref) ?? { pkg, files: [] };
      slot.files.push(f);
      byPackage.set(ref, slot);
    }
  }
  const jailRef = `jail:${name}`;
  const refs = [...byPackage.keys()].sort();
  const components = [
    ...refs.map((ref) => {
      const { pkg, files: owned } = byPackage.get(ref) as { pkg: DebPackage; files: SbomFile[] };
      return {
        type: owned.some((f) => f.executable) ? 'application' : 'library',
        'bom-ref': ref,
        name: pkg.name,
        version: pkg.version,
        purl: ref,
        ...(pkg.source ? { properties: [{ name: 'debian:source', value: pkg.source }] } : {}),
        components: owned.map(fileComponent),
      };
    }),
    ...unowned.map(fileComponent),
  ];
  // SOURCE_DATE_EPOCH makes the document reproducible, as it does the jail.
  const epoch = sourceDateEpoch();
  const timestamp = (epoch !== undefined ? new Date(epoch * 1000) : new Date()).toISOString();
  const doc = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: serialOf(JSON.stringify(components)),
    version: 1,
    metadata: {
      timestamp,
      tools: { components: [{ type: 'application', name: 'jailbuild', version: jailbuildVersion() }] },
      component: { type: 'container', 'bom-ref': jailRef, name },
    },
    components,
    dependencies: [{ ref: jailRef, dependsOn: refs }, ...refs.map((ref) => ({ ref, dependsOn: [] }))],
  };
  return { doc, packages: refs.length, unowned: unowned.length };
}

/** Writes the document whole (a temporary file renamed), so a reader never sees half of it. */
export function writeSbom(file: string, doc: object): string {
  const dest = resolveHostPath(file);
  try {
    writeFileWhole(dest, JSON.stringify(doc, null, 2) + '\n');
  } catch (err) {
    throw new JailError('IO_ERROR', `${dest}: cannot write the SBOM: ${(err as Error).message}`, { file: dest, cause: err });
  }
  return dest;
}

/** The jail's regular files as the SBOM lists them: each with its sha256, or with why it has none. */
export function sbomFiles(entries: JailEntry[], sourceOf: (path: string) => string | undefined, hashOf: (path: string) => { sha256: string } | { notHashed: string }): SbomFile[] {
  return entries.filter((e) => e.kind === 'file').map((e) => ({ path: e.path, source: sourceOf(e.path) ?? e.path, executable: (e.mode & 0o111) !== 0, ...hashOf(e.path) }));
}
