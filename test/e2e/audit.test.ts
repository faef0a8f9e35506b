/**
 * jailbuild audit: shipped profiles' jails audit clean; every planted defect is found at its path in
 * the folder and in GNU tar tarballs of it; drift, reasons, SBOM; hostile tarballs are reported,
 * never followed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditJail } from '../../src/audit/run-audit.js';
import type { Finding } from '../../src/audit/finding.js';
import { writeTree } from '../../src/emit/write-tree.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { resolveInputs, RootFs } from '../../src/index.js';
import { auditCli } from '../helpers/audit-cli.js';
import { BIN, jailbuild, TOP } from '../helpers/cli.js';
import { makeElf } from '../helpers/make-elf.js';
import { rawTar } from '../helpers/raw-tar.js';
import { cleanupTempDirs, sysroot, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** Builds a profile's jail in-process (loadProfile, buildPlan, writeTree); returns the jail folder. */
async function buildJail(nameOrPath: string, set: Record<string, string> = {}): Promise<{ jail: string; plan: ReturnType<typeof buildPlan> }> {
  const plan = buildPlan(loadProfile(nameOrPath, { set }));
  const jail = join(tempDir('jailbuild-audit-'), 'jail');
  // Awaited: writeTree may be synchronous or return a promise.
  await writeTree(plan.entries, new RootFs(plan.profile.root), jail, { mtime: plan.mtime });
  return { jail, plan };
}

function tarOf(jail: string, gzip = false): string {
  const file = join(tempDir('jailbuild-audit-tar-'), gzip ? 'jail.tgz' : 'jail.tar');
  execFileSync('tar', ['-C', jail, gzip ? '-czf' : '-cf', file, '.']);
  return file;
}

const has = (findings: Finding[], rule: string, path: string): boolean => findings.some((f) => f.rule === rule && f.path === path);
const high = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity === 'high');
const show = (findings: Finding[]): string => findings.map((f) => `${f.severity} ${f.rule} ${f.message}`).join('\n');

const SHIPPED_SETS: Record<string, Record<string, string>> = {
  // Stand-ins for programs this machine does not have: any existing binary and folder will do.
  sendmail: { SENDMAIL: '/bin/true' },
  idsgrep: { IDSGREP: '/bin/true', IDSGREP_DATA: '/usr/share/doc/busybox' },
};

test('every shipped profile builds a jail with no high finding, as a folder and as a tarball', async () => {
  const names = readdirSync(join(TOP, 'profiles'))
    .filter((n) => n.endsWith('.json') && n !== 'schema.json')
    .map((n) => n.slice(0, -5));
  assert.ok(names.length >= 8, names.join(' '));
  for (const name of names) {
    const started = Date.now();
    const { jail } = await buildJail(name, SHIPPED_SETS[name] ?? {});
    const tree = await auditJail(jail);
    assert.ok(tree.entries > 5, name);
    assert.equal(high(tree.findings), [], `${name} (folder):\n${show(high(tree.findings))}`);
    const tar = await auditJail(tarOf(jail));
    assert.is(tar.entries, tree.entries, `${name}: the tarball holds what the folder holds`);
    assert.equal(high(tar.findings), [], `${name} (tarball):\n${show(high(tar.findings))}`);
    assert.equal(
      tar.findings.map((f) => f.rule + f.path),
      tree.findings.map((f) => f.rule + f.path),
      `${name}: same findings either way`,
    );
    if (process.env.AUDIT_TEST_VERBOSE) console.log(`${name}: ${tree.entries} entries, ${tree.findings.length} findings, ${Date.now() - started} ms`);
  }
});

/** Plants one of each defect into a copy of the busybox jail; returns [rule, path, severity] to expect. */
function plantDefects(jail: string): Array<[string, string, string]> {
  const at = (p: string): string => join(jail, p);
  const put = (p: string, body: string | Buffer, mode = 0o755): void => {
    mkdirSync(dirname(at(p)), { recursive: true });
    writeFileSync(at(p), body);
    chmodSync(at(p), mode);
  };
  const interp = '/lib64/ld-linux-x86-64.so.2';
  put('/usr/bin/needs-missing', makeElf({ machine: 62, interpreter: interp, needed: ['libnotthere.so.1', 'libc.so.6'] }));
  // Found through the jail's ld.so.conf only: the jail has no ld.so.cache, and its loader never reads ld.so.conf.
  put('/opt/lib/libonlyconf.so.1', makeElf({ machine: 62, soname: 'libonlyconf.so.1', needed: ['libc.so.6'] }), 0o644);
  put('/etc/ld.so.conf', '/opt/lib\n', 0o644);
  put('/usr/bin/needs-conf-only', makeElf({ machine: 62, interpreter: interp, needed: ['libonlyconf.so.1', 'libc.so.6'] }));
  put('/usr/bin/no-interp', makeElf({ machine: 62, interpreter: '/lib64/ld-nowhere.so.2', needed: ['libc.so.6'] }));
  put('/usr/bin/perl-tool', '#!/usr/bin/perl -w\nprint "hi\\n";\n');
  put('/usr/bin/wrapper', '#!/bin/sh\nfrobnicate --now "$@"\n');
  symlinkSync('/usr/lib/nowhere/gone', at('/usr/bin/gone'));
  copyFileSync(at('/usr/bin/dash'), at('/usr/bin/suid'));
  chmodSync(at('/usr/bin/suid'), 0o4755);
  copyFileSync(at('/usr/bin/dash'), at('/usr/bin/sgid'));
  chmodSync(at('/usr/bin/sgid'), 0o2755);
  put('/etc/motd', 'welcome\n', 0o666);
  mkdirSync(at('/var/drop'), { recursive: true });
  chmodSync(at('/var/drop'), 0o777);
  execFileSync('mknod', ['-m', '0660', at('/dev/sda'), 'b', '8', '0']);
  execFileSync('mknod', ['-m', '0640', at('/dev/mem'), 'c', '1', '1']);
  put('/etc/owned', 'mine\n', 0o644);
  chownSync(at('/etc/owned'), 1234, 1234);
  put('/etc/shadow', `root:$6$saltsalt$${'a'.repeat(86)}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`, 0o640);
  const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  put('/etc/ssl/private/server.key', key, 0o600);
  for (const tool of ['bash', 'gdb', 'gcc', 'python3', 'nc', 'apt-get']) copyFileSync(at('/usr/bin/dash'), at(`/usr/bin/${tool}`));
  // Not on PATH, nothing runs it (Python's cgi.py names /usr/local/bin/python): low, not high.
  put('/usr/lib/python3.11/cgi.py', '#! /usr/local/bin/python\nprint("cgi")\n');
  // Made at run time in the sticky /tmp by an inmate: its owner is whoever made it, not a finding.
  put('/tmp/session-abc', 'x\n', 0o600);
  chownSync(at('/tmp/session-abc'), 33, 33);
  return [
    ['script-interpreter-missing', '/usr/lib/python3.11/cgi.py', 'low'],
    ['elf-library-missing', '/usr/bin/needs-missing', 'high'],
    ['elf-library-missing', '/usr/bin/needs-conf-only', 'high'],
    ['elf-interpreter-missing', '/usr/bin/no-interp', 'high'],
    ['script-interpreter-missing', '/usr/bin/perl-tool', 'high'],
    ['script-command-missing', '/usr/bin/wrapper', 'high'],
    ['symlink-dangling', '/usr/bin/gone', 'medium'],
    ['setuid', '/usr/bin/suid', 'high'],
    ['setgid', '/usr/bin/sgid', 'high'],
    ['world-writable', '/etc/motd', 'high'],
    ['world-writable-dir', '/var/drop', 'high'],
    ['device-node', '/dev/sda', 'high'],
    ['device-node', '/dev/mem', 'high'],
    ['unexpected-owner', '/etc/owned', 'medium'],
    ['secret-password-hash', '/etc/shadow', 'high'],
    ['secret-private-key', '/etc/ssl/private/server.key', 'high'],
    ...['bash', 'gdb', 'gcc', 'python3', 'nc', 'apt-get'].map((t): [string, string, string] => ['powerful-tool', `/usr/bin/${t}`, 'medium']),
  ];
}

test('each planted defect is found at its path, in the folder and in GNU tar tarballs (plain and gzip)', async () => {
  const { jail: clean } = await buildJail('busybox');
  const jail = join(tempDir('jailbuild-audit-defects-'), 'jail');
  execFileSync('cp', ['-a', clean, jail]);
  const expected = plantDefects(jail);
  for (const target of [jail, tarOf(jail), tarOf(jail, true)]) {
    const result = await auditJail(target);
    for (const [rule, path, severity] of expected) {
      const hit = result.findings.find((f) => f.rule === rule && f.path === path);
      assert.ok(hit, `${target}: ${rule} at ${path}; found:\n${show(result.findings)}`);
      assert.is(hit?.severity, severity, `${rule} at ${path}`);
    }
    // What is fine stays quiet: /bin/sh's own shell, /dev/null, the sticky /tmp, libc.
    for (const path of ['/usr/bin/dash', '/dev/null', '/tmp', '/tmp/session-abc', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/busybox']) {
      assert.not.ok(
        result.findings.some((f) => f.path === path),
        `${path}: ${show(result.findings.filter((f) => f.path === path))}`,
      );
    }
  }
  // Over the memory budget, contents go to a scratch file: the same findings.
  const full = await auditJail(tarOf(jail));
  const spilled = await auditJail(tarOf(jail), { contentBudget: 1000 });
  assert.equal(
    spilled.findings.map((f) => f.rule + f.path),
    full.findings.map((f) => f.rule + f.path),
    show(spilled.findings),
  );
  // With no room at all, contents are not kept: said once, and no library is guessed missing.
  const tight = await auditJail(tarOf(jail), { contentBudget: 0, scratchLimit: 0 });
  assert.ok(
    tight.findings.some((f) => f.rule === 'tar-content-limit'),
    show(tight.findings),
  );
  assert.not.ok(
    tight.findings.some((f) => f.rule.startsWith('elf-')),
    show(tight.findings),
  );
  assert.ok(has(tight.findings, 'setuid', '/usr/bin/suid'), 'what needs no contents is still checked');
  // The resolver agrees with the loader by default; asked to search as ldconfig would cache, it finds it.
  const [asLoader] = resolveInputs(['/usr/bin/needs-conf-only'], { root: jail });
  assert.equal(
    asLoader?.missing.map((m) => m.name),
    ['libonlyconf.so.1'],
  );
  const [asLdconfig] = resolveInputs(['/usr/bin/needs-conf-only'], { root: jail, ldSoConfWithoutCache: true });
  assert.equal(asLdconfig?.missing, []);
});

test('CLI: --json shape, exit codes 0/1/2, --fail-on, a tarball on standard input', async () => {
  const { jail } = await buildJail('base');
  const clean = await auditCli([jail, '--json']);
  assert.is(clean.code, 0, clean.stderr);
  const body = JSON.parse(clean.stdout) as { entries: number; findings: Finding[] };
  assert.ok(body.entries > 10);
  assert.ok(Array.isArray(body.findings));
  symlinkSync('/nowhere', join(jail, 'dangling'));
  assert.is((await auditCli([jail])).code, 0, 'a medium finding does not fail by default');
  const medium = await auditCli([jail, '--fail-on', 'medium']);
  assert.is(medium.code, 1);
  assert.match(medium.stdout, /symlink-dangling/);
  chmodSync(join(jail, 'tmp'), 0o777);
  const failed = await auditCli([jail, '--json']);
  assert.is(failed.code, 1);
  assert.ok(has((JSON.parse(failed.stdout) as { findings: Finding[] }).findings, 'world-writable-dir', '/tmp'));
  assert.is((await auditCli([join(jail, 'no-such-thing')])).code, 2);
  const notTar = join(tempDir('jailbuild-audit-nottar-'), 'notes.txt');
  writeFileSync(notTar, 'just some text, long enough to fill a block? no.\n'.repeat(20));
  const bad = await auditCli([notTar]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /not a tar archive/);
  writeFileSync(notTar, '');
  assert.is((await auditCli([notTar])).code, 2);
  assert.is((await auditCli([jail, '--why', '/bin/sh'])).code, 2, '--why needs a manifest or a profile');

  const tgz = tarOf(jail, true);
  const fromStdin = await auditJail('-', { stdin: createReadStream(tgz) });
  assert.is(fromStdin.format, 'tar');
  assert.ok(has(fromStdin.findings, 'world-writable-dir', '/tmp'));
  // Through the real CLI too, once main.ts registers the command.
  if (/^\s+audit\b/m.test(jailbuild(['--help']).stdout)) {
    const run = spawnSync(process.execPath, [BIN, 'audit', '-', '--json'], { input: readFileSync(tgz), encoding: 'utf8' });
    assert.is(run.status, 1, run.stderr);
    assert.ok(has((JSON.parse(run.stdout) as { findings: Finding[] }).findings, 'world-writable-dir', '/tmp'));
  }
});

test('drift: a source file changed since the build, a mode changed and a file added in the jail', async () => {
  const root = sysroot({ '/data/same.txt': 'unchanged\n', '/data/edited.txt': 'version 1\n', '/data/grown.txt': 'short\n' });
  const dir = tempDir('jailbuild-audit-drift-');
  const profile = join(dir, 'drift.json');
  writeFileSync(profile, JSON.stringify({ name: 'drift', root, files: ['/data/same.txt', '/data/edited.txt', '/data/grown.txt'], directories: ['/var/spool'] }, null, 2));
  const { jail } = await buildJail(profile);
  const before = await auditCli([jail, '--profile', profile, '--json']);
  assert.equal(
    (JSON.parse(before.stdout) as { findings: Finding[] }).findings.filter((f) => f.rule.startsWith('drift-')),
    [],
    before.stdout,
  );

  writeFileSync(join(root, 'data/edited.txt'), 'version 2\n');
  writeFileSync(join(root, 'data/grown.txt'), 'much longer now\n');
  chmodSync(join(jail, 'var/spool'), 0o700);
  writeFileSync(join(jail, 'data/planted.php'), '<?php system($_GET["c"]);\n');
  const after = await auditJail(jail, { profile: loadProfile(profile) });
  const drift = after.findings.filter((f) => f.rule.startsWith('drift-'));
  assert.ok(has(drift, 'drift-content', '/data/edited.txt'), show(drift));
  assert.match(drift.find((f) => f.path === '/data/edited.txt')?.message ?? '', /sha256/);
  assert.ok(has(drift, 'drift-content', '/data/grown.txt'), show(drift));
  assert.match(drift.find((f) => f.path === '/data/grown.txt')?.message ?? '', /bytes/);
  assert.ok(has(drift, 'drift-mode', '/var/spool'), show(drift));
  assert.ok(has(drift, 'drift-extra', '/data/planted.php'), show(drift));
  assert.not.ok(
    drift.some((f) => f.path === '/data/same.txt'),
    show(drift),
  );

  const why = await auditCli([jail, '--profile', profile, '--why', '/data/edited.txt']);
  assert.match(why.stdout, /why \/data\/edited\.txt:\n {2}\/data\/edited\.txt: drift\.json:\d+ files\[1\]/);
});

test('manifest (as jailbuild profile --manifest writes it): reasons, --why chains, declared owners, changes', async () => {
  const dir = tempDir('jailbuild-audit-manifest-');
  const jail = join(dir, 'jail');
  const file = join(dir, 'manifest.json');
  const tgz = join(dir, 'jail.tar.gz');
  const built = jailbuild(['profile', 'busybox', '--out', jail, '--manifest', file, '--tar', tgz, '-q']);
  assert.is(built.code, 0, built.stderr);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Array<{ path: string; uid: number }>;
  // jailbuild's own tarball audits as its folder does.
  const fromTar = await auditJail(tgz, { manifest: file });
  assert.equal(fromTar.findings, [], show(fromTar.findings));
  const libc = await auditCli([jail, '--manifest', file, '--why', '/usr/lib/x86_64-linux-gnu/libc.so.6']);
  assert.is(libc.code, 0, libc.stdout + libc.stderr);
  assert.match(libc.stdout, /libc\.so\.6: base\.json:\d+ binaries\[0\]: libc\.so\.6, needed by \/usr\/bin\/dash/);
  assert.match(libc.stdout, /\n {2}\/usr\/bin\/dash: base\.json:\d+ binaries\[0\]/);
  const sh = await auditJail(jail, { manifest: file, why: '/bin/sh' });
  assert.match(sh.why?.chain[0] ?? '', /^\/bin\/sh is \/usr\/bin\/dash \(through \/bin -> usr\/bin, \/usr\/bin\/sh -> dash\)/);
  assert.ok(sh.why?.known);
  assert.match(sh.inventory.find((e) => e.path === '/usr/bin/busybox')?.reasons[0]?.origin?.file ?? '', /busybox\.json$/);
  assert.equal(sh.findings, []);

  // A file the manifest declares for uid 33 is not a stray owner; a changed binary is drift.
  const owned = manifest.find((m) => m.path === '/tmp');
  if (owned) owned.uid = 33;
  writeFileSync(file, JSON.stringify(manifest));
  chownSync(join(jail, 'tmp'), 33, 0);
  writeFileSync(join(jail, 'usr/bin/busybox'), 'replaced');
  const changed = await auditJail(jail, { manifest: file });
  assert.not.ok(has(changed.findings, 'unexpected-owner', '/tmp'), show(changed.findings));
  assert.ok(has(changed.findings, 'drift-content', '/usr/bin/busybox'), show(changed.findings));
});

test('SBOM: CycloneDX 1.5 naming the Debian package and version of known files (merged /usr)', async () => {
  const { jail } = await buildJail('base');
  const out = join(tempDir('jailbuild-audit-sbom-'), 'jail.cdx.json');
  const run = await auditCli([jail, '--sbom', out, '--root', '/']);
  assert.is(run.code, 0, run.stderr);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as {
    bomFormat: string;
    specVersion: string;
    serialNumber: string;
    components: Array<{ type: string; name: string; version?: string; purl?: string; components?: Array<{ type: string; name: string; hashes?: Array<{ alg: string; content: string }> }> }>;
  };
  assert.is(doc.bomFormat, 'CycloneDX');
  assert.is(doc.specVersion, '1.5');
  assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const dash = doc.components.find((c) => c.name === 'dash');
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dash'], { encoding: 'utf8' });
  assert.is(dash?.version, version);
  assert.match(dash?.purl ?? '', /^pkg:deb\/debian\/dash@/);
  const file = dash?.components?.find((f) => f.name === '/usr/bin/dash');
  assert.is(file?.type, 'file');
  assert.match(file?.hashes?.[0]?.content ?? '', /^[0-9a-f]{64}$/);
  assert.ok(doc.components.find((c) => c.name === 'libc6')?.components?.some((f) => f.name.endsWith('/libc.so.6')));
});

test('hostile tarballs: reported, never followed, nothing written outside, no crash', async () => {
  const dir = tempDir('jailbuild-audit-hostile-');
  const token = `jailbuild-evil-${process.pid}`;
  const ok = { name: './etc/', type: '5', mode: 0o755 };
  const cases: Array<[string, Buffer, string, string]> = [
    ['dotdot', rawTar([ok, { name: `../../${token}`, data: Buffer.from('x') }]), 'tar-path-escape', `../../${token}`],
    ['absolute', rawTar([ok, { name: `/tmp/${token}`, data: Buffer.from('x') }]), 'tar-absolute-path', `/tmp/${token}`],
    ['link-out', rawTar([ok, { name: './escape', type: '2', linkname: '../../../tmp' }, { name: `./escape/${token}`, data: Buffer.from('x') }]), 'tar-link-escape', '/escape'],
    ['through-link', rawTar([ok, { name: './abs', type: '2', linkname: '/tmp' }, { name: `./abs/${token}`, data: Buffer.from('x') }]), 'tar-path-through-link', `/abs/${token}`],
    ['hardlink-out', rawTar([ok, { name: './etc/shadow', type: '1', linkname: '../../../etc/shadow' }]), 'tar-hardlink-escape', '/etc/shadow'],
    ['truncated', rawTar([ok, { name: './etc/big', data: Buffer.alloc(4000, 1) }]).subarray(0, 512 + 512 + 1000), 'tar-truncated', '/etc'],
    ['lying-size', rawTar([ok, { name: './etc/huge', size: 8 * 1024 ** 3 }], false), 'tar-truncated', '/etc'],
    ['garbage', Buffer.concat([rawTar([ok], false), Buffer.from('garbage!'.repeat(64)), Buffer.alloc(1024)]), 'tar-malformed', '/etc'],
    ['bad-checksum', rawTar([ok, { name: './etc/x', data: Buffer.from('x'), badChecksum: true }]), 'tar-malformed', '/etc'],
    ['huge-header', rawTar([ok, { name: './PaxHeaders/x', type: 'x', size: 64 * 1024 * 1024 }], false), 'tar-header-too-large', '/etc'],
  ];
  for (const [name, bytes, rule, path] of cases) {
    const file = join(dir, `${name}.tar`);
    writeFileSync(file, bytes);
    const result = await auditJail(file);
    assert.ok(has(result.findings, rule, path), `${name}: expected ${rule} at ${path}:\n${show(result.findings)}`);
    assert.ok(result.entries >= 2, `${name}: what could be read is inventoried (${result.entries})`);
    const cli = await auditCli([file, '--json']);
    assert.is(cli.code, rule === 'tar-hardlink-missing' ? 0 : 1, `${name}: ${cli.stderr}`);
  }
  const gz = join(dir, 'corrupt.tgz');
  writeFileSync(gz, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('not deflate data at all'.repeat(40))]));
  assert.ok((await auditJail(gz)).findings.some((f) => f.rule === 'tar-gzip-corrupt' || f.rule === 'tar-truncated'));
  for (const where of ['/', '/tmp', dirname(dir), dir, process.cwd()]) assert.not.ok(existsSync(join(where, token)), `nothing written at ${where}`);
});

test.run();
