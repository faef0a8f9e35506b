import { createHash } from 'node:crypto';
import { chmodSync, constants, copyFileSync, createReadStream, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolveHostPath } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { JailError } from '../errors.js';
import { mountsBelow } from '../mounts/mounts-below.js';
import { checkOutputPlace, checkReplaceable, writeMark } from './output-mark.js';
import { removeTreeSafely } from './safe-remove.js';

export interface OciOptions {
  /** Seconds since the epoch: the image's `created`. */
  mtime: number;
  /** Becomes the image's ref name in index.json (`latest` when not a valid ref). */
  profileName?: string;
  /** GOARCH-style name (`amd64`, `arm64`, ...); default amd64. */
  architecture?: string;
  variant?: string;
  /** Replace an existing folder even when jailbuild's mark does not vouch for it (see output-mark). */
  force?: boolean;
  /** Host paths the build reads (the plan's sources and Plan.reads): the layout may hold none and lie in none. */
  reads?: string[];
  /** The layer holds a host secret: the layout is made readable by its owner only (0700 folders, 0600 blobs). */
  ownerOnly?: boolean;
}

export interface OciResult {
  dir: string;
  refName: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** sha256 of the uncompressed layer. */
  diffId: string;
}

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

/** The image-spec grammar for org.opencontainers.image.ref.name. */
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** JSON with keys sorted at every level and no white space: the same value always gives the same digest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Debian architecture (jailbuild's ABI ids) to the GOARCH names OCI platforms use. */
const GOARCH: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  i386: { architecture: '386' },
  aarch64: { architecture: 'arm64', variant: 'v8' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v5' },
  ppc64el: { architecture: 'ppc64le' },
  ppc64: { architecture: 'ppc64' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
  loong64: { architecture: 'loong64' },
  mips64el: { architecture: 'mips64le' },
  mipsel: { architecture: 'mipsle' },
};

/** The OCI platform of a jail whose programs are of architecture `archId` (jailbuild's ids); amd64 when unknown. */
export function ociPlatformOf(archId: string | undefined): { architecture: string; variant?: string } {
  return (archId !== undefined ? GOARCH[archId] : undefined) ?? { architecture: 'amd64' };
}

/** Digest, size and diff_id of a gzip layer, read as a stream. */
async function digestLayer(layer: Buffer | string): Promise<{ digest: string; size: number; diffId: string }> {
  const name = typeof layer === 'string' ? layer : 'the layer';
  const input = typeof layer === 'string' ? createReadStream(layer) : Readable.from([layer]);
  const outer = createHash('sha256');
  const inner = createHash('sha256');
  let size = 0;
  let magic: Buffer = Buffer.alloc(0);
  try {
    await pipeline(
      input,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          if (magic.length < 2) magic = Buffer.concat([magic, chunk.subarray(0, 2)]);
          outer.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          inner.update(chunk);
          cb();
        },
      }),
    );
  } catch (err) {
    const notGzip = magic.length >= 2 && (magic[0] !== 0x1f || magic[1] !== 0x8b);
    throw new JailError('INPUT', `${name}: ${notGzip ? 'not a gzip file' : `cannot be read as a gzip layer: ${(err as Error).message}`}`, { file: name, cause: err });
  }
  return { digest: `sha256:${outer.digest('hex')}`, size, diffId: `sha256:${inner.digest('hex')}` };
}

/**
 * Writes an OCI image layout with one image of one layer (the jail's deterministic .tar.gz): the
 * `oci-layout` file, `index.json` and the blobs. Config, manifest and index are canonical JSON and
 * `created` (image and history) is the plan's mtime, so the same layer gives the same digests. The
 * layout is built beside `dir` and swapped in; an existing `dir` is replaced only when it is empty or
 * an OCI layout itself.
 */
export async function writeOciLayout(dirPath: string, layer: Buffer | string, options: OciOptions): Promise<OciResult> {
  const asked = resolveHostPath(dirPath);
  mkdirSync(dirname(asked), { recursive: true });
  const dir = join(realpathSync(dirname(asked)), basename(asked));
  checkOutputPlace(dir, options.reads ?? []);
  const existing = lstatSync(dir, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new JailError('INPUT', `${dir}: exists and is not a folder; nothing was changed`, { file: dir });
  const mounted = mountsBelow(dir);
  if (mounted.length > 0) throw new JailError('INPUT', `${dir}: something is mounted inside it (${mounted.join(', ')}); nothing was changed`, { file: dir });
  checkReplaceable(dir, 'an OCI layout', options.force === true);
  const { digest: layerDigest, size: layerSize, diffId } = await digestLayer(layer);
  const created = new Date(options.mtime * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const refName = options.profileName !== undefined && REF_NAME.test(options.profileName) ? options.profileName : 'latest';
  const platform = { architecture: options.architecture ?? 'amd64', os: 'linux', ...(options.variant !== undefined ? { variant: options.variant } : {}) };

  const staging = mkdtempSync(join(dirname(dir), `.${basename(dir)}.jailbuild-new-${process.pid}-`));
  let result: OciResult;
  try {
    // mkdtemp makes it 0700; a layout is meant to be read by other users' tools (skopeo, umoci),
    // unless it holds a host secret.
    const fileMode = options.ownerOnly ? 0o600 : 0o644;
    if (!options.ownerOnly) chmodSync(staging, 0o755);
    const blobs = join(staging, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true, mode: options.ownerOnly ? 0o700 : 0o755 });
    const blobPath = (digest: string): string => join(blobs, digest.slice('sha256:'.length));
    const writeBlob = (text: string): { digest: string; size: number } => {
      const bytes = Buffer.from(text, 'utf8');
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      writeFileSync(blobPath(digest), bytes, { mode: fileMode });
      return { digest, size: bytes.length };
    };

    if (typeof layer === 'string') {
      copyFileSync(layer, blobPath(layerDigest), constants.COPYFILE_FICLONE);
      chmodSync(blobPath(layerDigest), fileMode);
    } else writeFileSync(blobPath(layerDigest), layer, { mode: fileMode });
    // A copied file must still be the file that was hashed.
    if (lstatSync(blobPath(layerDigest)).size !== layerSize) throw new JailError('IO_ERROR', `${String(typeof layer === 'string' ? layer : 'the layer')}: changed while the OCI layout was being written`);

    const config = writeBlob(
      canonicalJson({
        ...platform,
        created,
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created, created_by: `jailbuild profile ${options.profileName ?? ''}`.trim() }],
      }),
    );
    const manifest = writeBlob(
      canonicalJson({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
        layers: [{ mediaType: MEDIA.layer, digest: layerDigest, size: layerSize }],
      }),
    );
    writeFileSync(
      join(staging, 'index.json'),
      canonicalJson({
        schemaVersion: 2,
        mediaType: MEDIA.index,
        manifests: [{ mediaType: MEDIA.manifest, digest: manifest.digest, size: manifest.size, platform, annotations: { 'org.opencontainers.image.ref.name': refName } }],
      }),
      { mode: fileMode },
    );
    writeFileSync(join(staging, 'oci-layout'), canonicalJson({ imageLayoutVersion: '1.0.0' }), { mode: fileMode });
    result = { dir, refName, manifestDigest: manifest.digest, configDigest: config.digest, layerDigest, diffId };
  } catch (err) {
    removeTreeSafely(staging);
    if (err instanceof JailError) throw err;
    throw new JailError('IO_ERROR', `${dir}: writing the OCI layout failed: ${(err as Error).message}`, { file: dir, cause: err });
  }
  // Swapped in only when complete: a failure above leaves the previous layout as it was.
  writeMark(dir, existing ? [dir, staging] : [staging]);
  if (existing) {
    const retired = join(dirname(dir), `.${basename(dir)}.jailbuild-old-${process.pid}-${Date.now()}`);
    if (readdirSync(dir).length === 0) rmdirSync(dir);
    else renameSync(dir, retired);
    renameSync(staging, dir);
    writeMark(dir, [dir]);
    removeTreeSafely(retired);
  } else renameSync(staging, dir);
  return result;
}
