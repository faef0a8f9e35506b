/**
 * The audit of a jail as a tarball agrees with the audit of the same jail as a folder, at any size:
 * the shipped tex profile (~90 MB, ~3,000 entries) with the default memory budget and with a 1 MiB one,
 * where the contents the checks read go through a scratch file that is never left behind.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Finding } from '../../src/audit/finding.js';
import { auditJail } from '../../src/audit/run-audit.js';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** What two audits must agree on; rules only a tarball can have (`tar-...`) are left out. */
const comparable = (findings: Finding[]): string[] => findings.filter((f) => !f.rule.startsWith('tar-')).map((f) => `${f.severity} ${f.rule} ${f.path}`);
const show = (findings: Finding[]): string => findings.map((f) => `${f.severity} ${f.rule} ${f.message}`).join('\n');
const scratchFiles = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`jailbuild-scratch-${process.pid}-`));

test('tex as a folder and as a .tar.gz: the same findings, with the default budget and with 1 MiB of memory', async () => {
  const dir = tempDir('jailbuild-audit-tex-');
  const jail = join(dir, 'jail');
  const tgz = join(dir, 'tex.tar.gz');
  const built = jailbuild(['profile', 'tex', '--out', jail, '--tar', tgz, '-q']);
  assert.is(built.code, 0, built.stderr);

  const folder = await auditJail(jail);
  assert.ok(folder.entries > 2000, `the tex jail is large (${folder.entries} entries)`);
  assert.not.ok(
    folder.findings.some((f) => f.rule === 'elf-library-missing'),
    show(folder.findings),
  );
  for (const options of [{}, { contentBudget: 1024 * 1024 }]) {
    const tar = await auditJail(tgz, options);
    const label = JSON.stringify(options);
    assert.is(tar.entries, folder.entries, label);
    assert.equal(comparable(tar.findings), comparable(folder.findings), `${label}:\n${show(tar.findings)}`);
    assert.not.ok(
      tar.findings.some((f) => f.rule === 'elf-library-missing' || f.rule === 'tar-content-limit'),
      `${label}:\n${show(tar.findings)}`,
    );
    assert.equal(scratchFiles(), [], 'no scratch file is left in the temporary folder');
  }
});

test.run();
