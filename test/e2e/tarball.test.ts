/**
 * Tarballs, OCI layouts and manifests: byte-identical whatever the umask, time zone or locale; read
 * cleanly by GNU tar, bsdtar, skopeo and umoci; extracting to the same tree writeTree builds.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitOutputs } from '../../src/cli/output-options.js';
import { writeManifest } from '../../src/emit/write-manifest.js';
import { writeOciLayout } from '../../src/emit/write-oci.js';
import { tarName, writeTarball } from '../../src/emit/write-tarball.js';
import { writeTree } from '../../src/emit/write-tree.js';
import { JailError } from '../../src/errors.js';
import { resolveInputs } from '../../src/index.js';
import { buildPlan, type Plan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { TOP } from '../helpers/cli.js';
import { digestsBelow, emitAll, isMark } from '../helpers/emit-all.js';
import { layOut } from '../helpers/jail.js';
import { rawHeaders } from '../helpers/tar-blocks.js';
import { cleanupTempDirs, fileTempDir, tempDir } from '../helpers/tmp.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

test.after.each(cleanupTempDirs);

const EPOCH = 1700000000;
const LONG = `srv/data/${'d'.repeat(60)}/${'e'.repeat(50)}/file-${'f'.repeat(40)}.txt`;
const LONG_COMPONENT = `srv/data/${'x'.repeat(120)}/inner.txt`;
const UNICODE = 'srv/data/naïve-日本語 ünïcödé.txt';
const LINK = 'srv/data/link-ü';
const LINK_TARGET = `${'y'.repeat(110)}/ziel-ß`;
const UTF8 = { LC_ALL: 'C.UTF-8' };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function withEpoch<T>(epoch: number | undefined, f: () => T): T {
  const saved = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = String(epoch);
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
  }
}

function planOf(profilePath: string, epoch: number | undefined = EPOCH): { plan: Plan; fs: RootFs } {
  const plan = withEpoch(epoch, () => buildPlan(loadProfile(profilePath)));
  return { plan, fs: new RootFs(plan.profile.root) };
}

/**
 * A sysroot with this machine's shell and a tree with everything a tar writer can get wrong: paths
 * over 100 bytes (and one component over 100 bytes), non-ASCII names and link targets, hard links,
 * an empty file; the profile adds setuid, setgid and sticky modes, ids beyond ustar's 6 octal digits,
 * a block device and a program installed under a second name (the same source: a hard link).
 */
function customProfile(): string {
  // Made on first use and shared by the file's tests: kept until the process exits.
  const root = fileTempDir('jailbuild-tar-root-');
  const [sh] = resolveInputs(['/bin/sh']);
  layOut(sh?.needs ?? [], '/', root);
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text, { mode: 0o644 });
  };
  put(LONG, 'a long path\n');
  put(LONG_COMPONENT, 'a long folder name\n');
  put(UNICODE, 'unicode ✓\n');
  put('srv/data/a.txt', 'shared bytes\n');
  linkSync(join(root, 'srv/data/a.txt'), join(root, 'srv/data/b.txt'));
  put('srv/data/empty', '');
  symlinkSync(LINK_TARGET, join(root, LINK));
  const dir = fileTempDir('jailbuild-tar-profile-');
  const file = join(dir, 'custom.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'custom',
      root,
      binaries: ['/bin/sh', { path: '/bin/sh', as: '/usr/local/bin/mysh' }],
      trees: ['/srv/data'],
      files: [{ path: '/srv/data/a.txt', dest: '/opt/suid-tool', mode: '4755', allowSetuid: true }],
      contents: [
        { path: '/etc/motd', text: 'grüße\n' },
        { path: '/etc/big-ids', text: 'ids\n', owner: 300000, group: 400000 },
      ],
      devices: ['null', { path: '/dev/sda1', type: 'block', major: 8, minor: 1, mode: '0660' }],
      directories: [
        { path: '/tmp', mode: '1777' },
        { path: '/var/shared', mode: '2770' },
      ],
      symlinks: [{ path: '/usr/local/bin/sh2', target: '/usr/bin/dash' }],
    }),
  );
  return file;
}

let custom: string | undefined;
const profiles = (): [string, string][] => [
  ['base', 'base'],
  ['custom', (custom ??= customProfile())],
];

function run(cmd: string, args: string[], env: Record<string, string> = UTF8): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

/** Runs `code` (an ES module body) in a child node with its own umask and environment. */
function child(code: string, umask: string, env: Record<string, string>): { status: number | null; stdout: Buffer; stderr: string } {
  const base = { ...process.env };
  delete base.SOURCE_DATE_EPOCH;
  const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" --input-type=module -e "$1"`, process.execPath, code], {
    env: { ...base, ...env },
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'buffer',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const distUrl = (rel: string): string => pathToFileURL(join(TOP, 'dist', rel)).href;

/** A tree written by writeTree for the same plan: what every extraction is compared with. */
async function referenceTree(plan: Plan, fs: RootFs): Promise<string> {
  const out = join(tempDir('jailbuild-tar-ref-'), 'jail');
  await writeTree(plan.entries, fs, out, { mtime: plan.mtime });
  return out;
}

test('the .tar, .tar.gz, OCI layout and manifest are byte-identical across runs, umasks, TZ and LANG', async () => {
  for (const [label, profile] of profiles()) {
    const first = tempDir('jailbuild-repro-');
    const again = tempDir('jailbuild-repro-');
    const a = await withEpoch(EPOCH, () => emitAll(profile, first));
    const b = await withEpoch(EPOCH, () => emitAll(profile, again));
    assert.equal(b, a, `${label}: a second in-process build`);
    assert.ok(a['jail.tar'] && a['jail.tar.gz'] && a['manifest.json'] && a['oci/index.json'], `${label}: every output was written`);
    const code = `const m = await import(${JSON.stringify(distUrl('test/helpers/emit-all.js'))}); process.stdout.write(JSON.stringify(await m.emitAll(process.env.JB_PROFILE, process.env.JB_OUT)));`;
    for (const [umask, env] of [
      ['000', { TZ: 'Asia/Kathmandu', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' }],
      ['077', { TZ: 'America/St_Johns', LANG: 'C', LC_ALL: 'C' }],
    ] as const) {
      const out = tempDir('jailbuild-repro-');
      const r = child(code, umask, { ...env, SOURCE_DATE_EPOCH: String(EPOCH), JB_PROFILE: profile, JB_OUT: out });
      assert.is(r.status, 0, `${label}: child with umask ${umask}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout.toString('utf8')), a, `${label}: umask ${umask}, TZ=${env.TZ}, LANG=${env.LANG}`);
    }
    // Node's gzip header: deflate, no flags (no name), mtime 0, XFL 0 (level 6), OS 3.
    assert.is(readFileSync(join(first, 'jail.tar.gz')).subarray(0, 10).toString('hex'), '1f8b0800000000000003');
  }
});

test('GNU tar and bsdtar list and extract without a warning, giving the tree writeTree writes', async () => {
  for (const [label, profile] of profiles()) {
    const { plan, fs } = planOf(profile);
    const dir = tempDir('jailbuild-tar-');
    const tarFile = join(dir, 'jail.tar');
    const tgz = join(dir, 'jail.tgz');
    await writeTarball(plan.entries, fs, tarFile, { mtime: plan.mtime, gzip: false });
    await writeTarball(plan.entries, fs, tgz, { mtime: plan.mtime, gzip: true });
    const names = plan.entries.map(tarName);
    const expected = snapshotTree(await referenceTree(plan, fs));

    for (const [tool, file, extraList] of [
      ['tar', tarFile, ['--quoting-style=literal']],
      ['bsdtar', tgz, []],
    ] as const) {
      const listed = run(tool, ['-tf', file, ...extraList]);
      assert.is(listed.stderr, '', `${label}: ${tool} -tf`);
      assert.equal(listed.stdout.split('\n').slice(0, -1), names, `${label}: ${tool} lists the plan in order`);
      const verbose = run(tool, ['-tvf', file]);
      assert.is(verbose.status, 0);
      assert.is(verbose.stderr, '', `${label}: ${tool} -tvf`);
    }
    for (const [tool, file] of [
      ['tar', tarFile],
      ['tar', tgz],
      ['bsdtar', tarFile],
      ['bsdtar', tgz],
    ] as const) {
      const into = join(tempDir('jailbuild-untar-'), 'x');
      mkdirSync(into);
      const r = run(tool, ['-xpf', file, '--numeric-owner', '-C', into]);
      assert.is(r.status, 0, `${label}: ${tool} -x ${file}: ${r.stderr}`);
      assert.is(r.stderr, '', `${label}: ${tool} -x ${file} writes no warning`);
      // bsdtar applies the ./ entry's mode and owner to the folder it extracts into, but not its time
      // (it does the same with archives GNU tar makes): that one time is not compared for bsdtar.
      const rootTime = (lines: string[]): string[] => (tool === 'bsdtar' ? lines.map((l) => l.replace(/^(\/ d .*) t=\d+$/, '$1')) : lines);
      assert.equal(rootTime(snapshotTree(into)), rootTime(expected), `${label}: ${tool} extracts ${file} to writeTree's tree`);
    }
  }
});

test('a tarball written to a file (two reused buffers, blocking writes) has the bytes of the one written to a stream, around every write boundary', async () => {
  const root = tempDir('jailbuild-tar-sizes-');
  const MiB = 1024 * 1024;
  // Sizes around the 1 MiB writes and the small-file limit (1 MiB - 1024), with small files between.
  const sizes = [0, 1, 511, 512, 513, MiB - 1025, MiB - 1024, MiB - 1023, MiB - 1, MiB, MiB + 1, 3 * MiB + 700, 2 * MiB];
  const names: string[] = [];
  sizes.forEach((size, i) => {
    const name = `srv/sizes/f${String(i).padStart(2, '0')}`;
    const bytes = Buffer.alloc(size);
    for (let j = 0; j < size; j += 4093) bytes[j] = (i * 31 + j) & 0xff;
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), bytes, { mode: 0o644 });
    writeFileSync(join(root, `${name}-small`), `small ${i}\n`, { mode: 0o644 });
    names.push(name);
  });
  const profile = join(tempDir('jailbuild-tar-sizes-profile-'), 'sizes.json');
  writeFileSync(profile, JSON.stringify({ name: 'sizes', root, trees: ['/srv/sizes'] }));
  const { plan, fs } = planOf(profile);
  const file = join(tempDir('jailbuild-tar-'), 'sizes.tar');
  const result = await writeTarball(plan.entries, fs, file, { mtime: plan.mtime, gzip: false });
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  const streamed = await writeTarball(plan.entries, new RootFs(root), stream, { mtime: plan.mtime, gzip: false });
  const onDisk = readFileSync(file);
  assert.ok(Buffer.concat(chunks).equals(onDisk), 'the same bytes');
  assert.is(result.tarSha256, streamed.tarSha256);
  assert.is(result.tarSha256, sha256(onDisk));
  assert.is(result.outputBytes, onDisk.length);
  const into = join(tempDir('jailbuild-untar-'), 'x');
  mkdirSync(into);
  assert.is(run('tar', ['-xf', file, '-C', into]).status, 0);
  for (const name of names) assert.ok(readFileSync(join(into, name)).equals(readFileSync(join(root, name))), name);
});

test('headers: every mtime is SOURCE_DATE_EPOCH, owners numeric with empty names, PAX only for names', async () => {
  for (const [label, profile] of profiles()) {
    const { plan, fs } = planOf(profile, 1234567890);
    assert.is(plan.mtime, 1234567890, 'buildPlan takes SOURCE_DATE_EPOCH');
    const file = join(tempDir('jailbuild-hdr-'), 'jail.tar');
    await writeTarball(plan.entries, fs, file, { mtime: plan.mtime, gzip: false });
    const headers = rawHeaders(readFileSync(file));
    assert.ok(headers.length >= plan.entries.length);
    for (const h of headers) {
      assert.is(h.mtime, 1234567890, `${label}: mtime of ${h.name}`);
      assert.is(h.uname, '', `${label}: uname of ${h.name}`);
      assert.is(h.gname, '', `${label}: gname of ${h.name}`);
      assert.is(h.magic, 'ustar\x0000', `${label}: POSIX ustar magic for ${h.name}`);
      assert.is.not(h.typeflag, 'g', 'no global PAX header');
      for (const [key] of h.records ?? []) assert.ok(['path', 'linkpath', 'uid', 'gid'].includes(key), `${label}: PAX key ${key}`);
    }
    if (label === 'custom') {
      const pax = headers.filter((h) => h.typeflag === 'x').flatMap((h) => h.records ?? []);
      for (const name of [LONG, LONG_COMPONENT, UNICODE, `${LONG_COMPONENT.replace(/\/inner\.txt$/, '')}/`])
        assert.ok(
          pax.some(([k, v]) => k === 'path' && v === name),
          `PAX path ${name}`,
        );
      assert.ok(
        pax.some(([k, v]) => k === 'linkpath' && v === LINK_TARGET),
        'PAX linkpath of the non-ASCII link',
      );
      assert.ok(pax.some(([k, v]) => k === 'uid' && v === '300000') && pax.some(([k, v]) => k === 'gid' && v === '400000'), 'ids over 0777777 in PAX');
      const links = headers.filter((h) => h.typeflag === '1').map((h) => h.name);
      assert.equal(links, ['srv/data/b.txt', 'usr/local/bin/mysh'], 'same source (inode, or path) with the same mode: hard links');
      const suid = headers.find((h) => h.name === 'opt/suid-tool');
      assert.is(suid?.typeflag, '0', 'a different mode: a copy, not a link');
      assert.is(suid?.mode, 0o4755);
      assert.is(headers.find((h) => h.name === 'var/shared/')?.mode, 0o2770);
      assert.is(headers.find((h) => h.name === 'tmp/')?.mode, 0o1777);
    }
  }
});

test('long, non-ASCII and linked names round-trip through GNU tar and bsdtar', async () => {
  const [, profile] = profiles()[1] as [string, string];
  const { plan, fs } = planOf(profile);
  const file = join(tempDir('jailbuild-names-'), 'jail.tar.gz');
  await writeTarball(plan.entries, fs, file, { mtime: plan.mtime, gzip: true });
  for (const tool of ['tar', 'bsdtar']) {
    const into = tempDir('jailbuild-names-x-');
    assert.is(run(tool, ['-xpf', file, '--numeric-owner', '-C', into]).status, 0);
    const src = plan.profile.root;
    for (const rel of [LONG, LONG_COMPONENT, UNICODE]) assert.equal(readFileSync(join(into, rel)), readFileSync(join(src, rel)), `${tool}: ${rel}`);
    assert.is(readlinkSync(join(into, LINK)), LINK_TARGET, `${tool}: link target`);
    assert.is(lstatSync(join(into, 'srv/data/b.txt')).ino, lstatSync(join(into, 'srv/data/a.txt')).ino, `${tool}: b.txt is a hard link`);
    assert.is(lstatSync(join(into, 'usr/local/bin/mysh')).ino, lstatSync(join(into, 'usr/bin/dash')).ino, `${tool}: mysh is a hard link`);
    assert.is(lstatSync(join(into, 'opt/suid-tool')).mode & 0o7777, 0o4755, `${tool}: setuid kept`);
    assert.is(lstatSync(join(into, 'etc/big-ids')).uid, 300000, `${tool}: big uid`);
    assert.is(lstatSync(join(into, 'etc/big-ids')).gid, 400000, `${tool}: big gid`);
    assert.ok(lstatSync(join(into, 'dev/sda1')).isBlockDevice(), `${tool}: block device`);
  }
});

test("OCI: skopeo and umoci read the layout; the unpacked rootfs is writeTree's tree; digests repeat", async () => {
  for (const [label, profile] of profiles()) {
    const { plan, fs } = planOf(profile);
    const dir = tempDir('jailbuild-oci-');
    const oci = join(dir, 'oci');
    const out = { stdout: (): void => undefined, stderr: (): void => undefined };
    assert.is(await emitOutputs(plan, fs, { oci, tar: join(dir, 'jail.tar') }, out), 0);
    const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8'));
    assert.is(index.manifests[0].annotations['org.opencontainers.image.ref.name'], label);
    assert.equal(
      readdirSync(dir)
        .filter((n) => !isMark(n))
        .sort(),
      ['jail.tar', 'oci'],
      'the scratch layer is removed',
    );

    const inspect = run('skopeo', ['inspect', `oci:${oci}:${label}`]);
    assert.is(inspect.status, 0, `skopeo inspect: ${inspect.stderr}`);
    const info = JSON.parse(inspect.stdout);
    assert.is(info.Digest, index.manifests[0].digest);
    assert.is(info.Architecture, 'amd64');
    assert.is(info.Os, 'linux');
    assert.is(info.Created, new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z'));
    const manifest = JSON.parse(readFileSync(join(oci, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const config = JSON.parse(readFileSync(join(oci, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
    assert.equal(info.Layers, [manifest.layers[0].digest]);
    assert.equal(config.rootfs.diff_ids, [`sha256:${sha256(readFileSync(join(dir, 'jail.tar')))}`], 'diff_id = sha256 of the plain tar');

    const bundle = join(dir, 'bundle');
    const unpack = run('umoci', ['unpack', '--image', `${oci}:${label}`, bundle]);
    assert.is(unpack.status, 0, `umoci unpack: ${unpack.stderr}`);
    assert.equal(snapshotTree(join(bundle, 'rootfs')), snapshotTree(await referenceTree(plan, fs)), `${label}: umoci's rootfs`);

    // Again, over the existing layout: the same digests, the layout replaced whole.
    const before = digestsBelow(oci);
    await writeOciLayout(oci, join(dir, 'oci/blobs/sha256', manifest.layers[0].digest.slice(7)), { mtime: plan.mtime, profileName: label });
    assert.equal(digestsBelow(oci), before);
    // The layer given as bytes instead of a file: the same layout.
    const layerBytes = readFileSync(join(oci, 'blobs/sha256', manifest.layers[0].digest.slice(7)));
    await writeOciLayout(join(dir, 'oci2'), layerBytes, { mtime: plan.mtime, profileName: label });
    assert.equal(digestsBelow(join(dir, 'oci2')), before);
    try {
      await writeOciLayout(join(dir, 'oci3'), join(dir, 'jail.tar'), { mtime: plan.mtime, profileName: label });
      assert.unreachable('a plain tar is not a gzip layer');
    } catch (err) {
      assert.match((err as Error).message, `${join(dir, 'jail.tar')}: not a gzip file`);
    }
    assert.not.ok(existsSync(join(dir, 'oci3')));
  }
});

test('--tar - streams the same bytes to standard output; .tgz and .tar.gz are gzip, anything else plain', async () => {
  const { plan, fs } = planOf('base');
  const dir = tempDir('jailbuild-stdout-');
  await writeTarball(plan.entries, fs, join(dir, 'jail.tar'), { mtime: plan.mtime, gzip: false });
  const code = `
    const { emitOutputs } = await import(${JSON.stringify(distUrl('src/cli/output-options.js'))});
    const { buildPlan } = await import(${JSON.stringify(distUrl('src/plan/build-plan.js'))});
    const { loadProfile } = await import(${JSON.stringify(distUrl('src/profile/load-profile.js'))});
    const { RootFs } = await import(${JSON.stringify(distUrl('src/rootfs/rootfs.js'))});
    const plan = buildPlan(loadProfile('base'));
    const out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
    process.exitCode = await emitOutputs(plan, new RootFs(plan.profile.root), { tar: '-', manifest: process.env.JB_MANIFEST }, out);`;
  const r = child(code, '022', { SOURCE_DATE_EPOCH: String(EPOCH), JB_MANIFEST: join(dir, 'm.json') });
  assert.is(r.status, 0, r.stderr);
  assert.is(sha256(r.stdout), sha256(readFileSync(join(dir, 'jail.tar'))), 'stdout holds the tar');
  assert.match(r.stderr, /wrote the tarball to standard output: .* sha256 /, 'reports go to stderr when stdout is the tar');
  assert.match(r.stderr, /wrote the manifest /);

  for (const [name, gz] of [
    ['a.tgz', true],
    ['b.tar.gz', true],
    ['c.tar', false],
  ] as const) {
    const res = await emitOutputs(plan, fs, { tar: join(dir, name), quiet: true }, { stdout: () => undefined, stderr: () => undefined });
    assert.is(res, 0);
    assert.is(readFileSync(join(dir, name)).subarray(0, 2).toString('hex') === '1f8b', gz, name);
  }
  try {
    await emitOutputs(plan, fs, { tar: '-', manifest: '-' }, { stdout: () => undefined, stderr: () => undefined });
    assert.unreachable('two outputs on stdout');
  } catch (err) {
    assert.instance(err, JailError);
    assert.is((err as JailError).code, 'USAGE');
  }
});

test('a source file whose size changed since the plan: a clear error naming it, no archive left', async () => {
  const root = tempDir('jailbuild-change-');
  writeFileSync(join(root, 'grows'), 'x'.repeat(1000));
  writeFileSync(join(root, 'shrinks'), 'y'.repeat(1000));
  const profileDir = tempDir('jailbuild-change-p-');
  for (const name of ['grows', 'shrinks']) {
    writeFileSync(join(profileDir, `${name}.json`), JSON.stringify({ name, root, files: [`/${name}`] }));
    const { plan, fs } = planOf(join(profileDir, `${name}.json`));
    if (name === 'grows') appendFileSync(join(root, name), 'more');
    else truncateSync(join(root, name), 10);
    const out = tempDir('jailbuild-change-out-');
    for (const gzip of [false, true]) {
      try {
        await writeTarball(plan.entries, fs, join(out, 'jail.tar'), { mtime: plan.mtime, gzip });
        assert.unreachable(`${name}: the change is found`);
      } catch (err) {
        assert.instance(err, JailError);
        assert.match((err as Error).message, `${join(root, name)}: its size changed (1000 bytes planned, ${name === 'grows' ? 1004 : 10} now) since the plan was made`);
      }
      assert.equal(readdirSync(out), [], 'no archive and no temporary file left');
    }
    try {
      await writeManifest(join(out, 'm.json'), plan.entries, fs);
      assert.unreachable('the manifest notices too');
    } catch (err) {
      assert.match((err as Error).message, join(root, name));
    }
  }
});

test('a 512 MiB file is streamed: memory stays bounded, with and without gzip', () => {
  const root = tempDir('jailbuild-big-');
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data/big'), '');
  truncateSync(join(root, 'data/big'), 512 * 1024 * 1024);
  const profile = join(tempDir('jailbuild-big-p-'), 'big.json');
  writeFileSync(profile, JSON.stringify({ name: 'big', root, files: ['/data/big'] }));
  const code = `
    const { writeTarball } = await import(${JSON.stringify(distUrl('src/emit/write-tarball.js'))});
    const { buildPlan } = await import(${JSON.stringify(distUrl('src/plan/build-plan.js'))});
    const { loadProfile } = await import(${JSON.stringify(distUrl('src/profile/load-profile.js'))});
    const { RootFs } = await import(${JSON.stringify(distUrl('src/rootfs/rootfs.js'))});
    const { Writable } = await import('node:stream');
    const plan = buildPlan(loadProfile(process.env.JB_PROFILE));
    const before = process.memoryUsage().rss;
    const sink = new Writable({ write(chunk, enc, cb) { cb(); } });
    const r = await writeTarball(plan.entries, new RootFs(plan.profile.root), sink, { mtime: 0, gzip: process.env.JB_GZIP === '1' });
    process.stdout.write(JSON.stringify({ grew: process.resourceUsage().maxRSS * 1024 - before, tarBytes: r.tarBytes }));`;
  for (const gz of ['0', '1']) {
    const r = child(code, '022', { JB_PROFILE: profile, JB_GZIP: gz });
    assert.is(r.status, 0, r.stderr);
    const { grew, tarBytes } = JSON.parse(r.stdout.toString('utf8')) as { grew: number; tarBytes: number };
    assert.ok(tarBytes > 512 * 1024 * 1024, 'the whole file went through');
    // Streaming keeps growth to a few read buffers and the garbage collector's slack (30 to 70 MiB seen
    // here, depending on load): far below the file's 512 MiB, and the 256 MiB bound.
    assert.ok(grew < 128 * 1024 * 1024, `peak memory grew by ${Math.round(grew / 1048576)} MiB (gzip=${gz})`);
  }
});

test('the manifest: sorted, octal modes, sha256 of every file as the tarball holds it', async () => {
  const [, profile] = profiles()[1] as [string, string];
  const { plan, fs } = planOf(profile);
  const dir = tempDir('jailbuild-manifest-');
  const manifest = await writeManifest(join(dir, 'manifest.json'), plan.entries, fs);
  const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
  assert.equal(JSON.parse(text), manifest);
  const paths = manifest.map((m) => m.path);
  assert.equal(
    paths,
    [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
  const tarFile = join(dir, 'jail.tar');
  await writeTarball(plan.entries, fs, tarFile, { mtime: plan.mtime, gzip: false });
  const into = tempDir('jailbuild-manifest-x-');
  assert.is(run('tar', ['-xpf', tarFile, '--numeric-owner', '-C', into]).status, 0);
  for (const m of manifest) {
    assert.equal(Object.keys(m).slice(0, 5), ['path', 'kind', 'mode', 'uid', 'gid'], 'fixed key order');
    assert.match(m.mode, /^[0-7]{4}$/);
    if (m.kind === 'file') assert.is(m.sha256, sha256(readFileSync(join(into, m.path))), m.path);
    if (m.kind === 'symlink') assert.is(m.target, readlinkSync(join(into, m.path)));
    assert.ok(m.reasons.length > 0, `${m.path} says why`);
  }
  const suid = manifest.find((m) => m.path === '/opt/suid-tool');
  assert.is(suid?.mode, '4755');
  assert.is(manifest.find((m) => m.path === '/dev/sda1')?.major, 8);
  assert.ok(existsSync(join(dir, 'manifest.json')));
});

test.run();
