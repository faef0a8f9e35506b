/**
 * jailbuild audit over what inmates plant: a 200 GiB sparse file, a named pipe and a link to /dev/zero
 * made as uid 33 inside a real jail, then `audit --sbom` completes and names the sparse file as not
 * hashed; files swapped for pipes, links and foreign folders after the inventory are neither read nor
 * hashed, a sparse file is neither read nor hashed, and a file over the hash limit is reported, not hashed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Finding } from '../../src/audit/finding.js';
import { readTreeInventory } from '../../src/audit/read-tree-inventory.js';
import { auditJail } from '../../src/audit/run-audit.js';
import { BIN, jailbuild } from '../helpers/cli.js';
import { compileStatic, plant } from '../helpers/inmate.js';
import { runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** What a compromised www-data worker can do in the jail's /tmp with no tool but its own program. */
const PLANTER_C = `#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 4) return 64;
  int fd = open(argv[1], O_CREAT | O_WRONLY | O_EXCL, 0644);
  if (fd < 0 || ftruncate(fd, 200LL << 30) != 0) return 1;
  close(fd);
  if (mkfifo(argv[2], 0644) != 0) return 2;
  if (symlink("/dev/zero", argv[3]) != 0) return 3;
  return 0;
}
`;

/** A jail of the base profile that uid 33 may enter (the jail's folders are root:www-data 0750). */
function buildJail(): string {
  const dir = tempDir('jailbuild-bounds-');
  const profile = join(dir, 'www.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', users: [{ name: 'www-data', uid: 33, gid: 33 }], groups: [{ name: 'www-data', gid: 33 }] }));
  const jail = join(dir, 'jail');
  const built = jailbuild(['profile', profile, '--out', jail, '-q']);
  assert.is(built.code, 0, built.stderr);
  return jail;
}

const show = (findings: Finding[]): string => findings.map((f) => `${f.severity} ${f.rule} ${f.message}`).join('\n');

test('audit --sbom completes over a 200 GiB sparse file, a named pipe and a link to /dev/zero made by uid 33', () => {
  const jail = buildJail();
  plant(jail, compileStatic('plant-bounds', PLANTER_C), '/tmp/planter');
  const planted = runInJailAs(jail, ['/tmp/planter', '/tmp/sparse', '/tmp/pipe', '/tmp/zero']);
  assert.is(planted.status, 0, `the inmate's program failed: ${planted.stderr}`);

  const sbom = join(tempDir('jailbuild-bounds-sbom-'), 'jail.cdx.json');
  // The timeout only keeps a regression from hanging the suite: nothing here measures time.
  const run = spawnSync(process.execPath, [BIN, 'audit', jail, '--sbom', sbom, '--json'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
  assert.is(run.error, undefined, `audit did not complete: ${String(run.error)}`);
  assert.is(run.status, 0, run.stderr);
  const findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
  const sparse = findings.find((f) => f.rule === 'not-hashed' && f.path === '/tmp/sparse');
  assert.ok(sparse, show(findings));
  assert.is(sparse?.severity, 'low');
  assert.match(sparse?.message ?? '', /sparse: 214748364800 bytes/);
  assert.ok(
    findings.some((f) => f.rule === 'special-file' && f.path === '/tmp/pipe'),
    show(findings),
  );

  type Component = { name: string; hashes?: unknown[]; properties?: Array<{ name: string; value: string }>; components?: Component[] };
  const doc = JSON.parse(readFileSync(sbom, 'utf8')) as { components: Component[] };
  const files = doc.components.flatMap((c) => [c, ...(c.components ?? [])]);
  const listed = files.find((f) => f.name === '/tmp/sparse');
  assert.ok(listed, 'the SBOM lists the sparse file');
  assert.is(listed?.hashes, undefined, 'without a hash');
  assert.match(listed?.properties?.find((p) => p.name === 'jailbuild:not-hashed')?.value ?? '', /^sparse/);
  assert.ok(files.find((f) => f.name === '/usr/bin/dash')?.hashes, 'the real files are hashed');
  assert.not.ok(
    files.some((f) => f.name === '/tmp/zero' || f.name === '/tmp/pipe'),
    'a link and a pipe are no files of the SBOM',
  );
});

test('files swapped after the inventory (pipe, link to /dev/zero, link to a host file, folder for a link) and sparse files are neither read nor hashed', () => {
  const jail = buildJail();
  const host = tempDir('jailbuild-bounds-host-');
  writeFileSync(join(host, 'secret'), 'host file: never read through the jail\n');
  for (const name of ['pipe', 'zero', 'hostfile', 'kept']) writeFileSync(join(jail, 'tmp', name), `${name}\n`);
  mkdirSync(join(jail, 'tmp/dir'));
  writeFileSync(join(jail, 'tmp/dir/secret'), 'inside\n');
  writeFileSync(join(jail, 'tmp/big'), Buffer.alloc(64 * 1024, 1));
  // 8 MiB, under the read limit of the secrets check, nearly all holes.
  writeFileSync(join(jail, 'tmp/holes'), '-----BEGIN PRIVATE KEY-----\n');
  truncateSync(join(jail, 'tmp/holes'), 8 * 1024 * 1024);

  const inv = readTreeInventory(jail, { hashLimit: 4096 });
  try {
    // What an inmate does between the inventory and the reads (here as root, for determinism).
    rmSync(join(jail, 'tmp/pipe'));
    assert.is(spawnSync('mkfifo', [join(jail, 'tmp/pipe')]).status, 0);
    rmSync(join(jail, 'tmp/zero'));
    symlinkSync('/dev/zero', join(jail, 'tmp/zero'));
    rmSync(join(jail, 'tmp/hostfile'));
    symlinkSync(join(host, 'secret'), join(jail, 'tmp/hostfile'));
    renameSync(join(jail, 'tmp/dir'), join(jail, 'tmp/dir.old'));
    symlinkSync(host, join(jail, 'tmp/dir'));

    for (const path of ['/tmp/pipe', '/tmp/zero', '/tmp/hostfile', '/tmp/dir/secret']) {
      assert.is(inv.read(path), null, `${path} is not read`);
      assert.is(inv.sha256(path), undefined, `${path} is not hashed`);
      assert.match(inv.notHashed.get(path) ?? '', /not a regular file any more/, path);
    }
    assert.is(inv.read('/tmp/kept')?.toString(), 'kept\n');
    assert.match(inv.sha256('/tmp/kept') ?? '', /^[0-9a-f]{64}$/);
    assert.is(inv.sha256('/tmp/big'), undefined, 'over the hash limit');
    assert.match(inv.notHashed.get('/tmp/big') ?? '', /65536 bytes, more than the 4096 bytes hashed per file/);
    assert.is(inv.read('/tmp/holes'), null, 'a sparse file is not read either');
    assert.is(inv.sha256('/tmp/holes'), undefined);
    assert.match(inv.notHashed.get('/tmp/holes') ?? '', /^sparse: 8388608 bytes/);
  } finally {
    inv.close();
  }
});

test('over the hash limit: a not-hashed finding, and drift claims no content difference it did not measure', async () => {
  const jail = buildJail();
  const manifest = join(tempDir('jailbuild-bounds-manifest-'), 'manifest.json');
  writeFileSync(join(jail, 'tmp/data'), Buffer.alloc(64 * 1024, 1));
  writeFileSync(manifest, JSON.stringify([{ path: '/tmp/data', kind: 'file', mode: '0644', uid: 0, gid: 0, size: 64 * 1024, sha256: '0'.repeat(64), reasons: [] }]));
  const bounded = await auditJail(jail, { manifest, hashLimit: 4096 });
  assert.ok(
    bounded.findings.some((f) => f.rule === 'not-hashed' && f.path === '/tmp/data'),
    show(bounded.findings),
  );
  assert.not.ok(
    bounded.findings.some((f) => f.rule === 'drift-content' && f.path === '/tmp/data'),
    show(bounded.findings),
  );
  const full = await auditJail(jail, { manifest });
  assert.ok(
    full.findings.some((f) => f.rule === 'drift-content' && f.path === '/tmp/data'),
    show(full.findings),
  );
  assert.not.ok(
    full.findings.some((f) => f.rule === 'not-hashed'),
    show(full.findings),
  );
});

test.run();
