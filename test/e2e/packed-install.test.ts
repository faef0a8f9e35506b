/**
 * What a user installs is what `npm pack` ships: a copy of this checkout is packed (its prepack builds
 * it), the tarball is installed globally into a temporary prefix from the registry as a user would, and
 * the installed `jailbuild` builds the base jail, whose shell then runs with chroot. The installed copy
 * reads its schema, profiles and version from its own folder: nothing outside the pack.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TOP } from '../helpers/cli.js';
import { runInJail } from '../helpers/jail.js';
import { removeDir, tempDir } from '../helpers/tmp.js';

/** Top-level entries of a checkout that are not its sources: build output, installed packages, caches. */
const NOT_SOURCES = new Set(['.git', 'dist', 'node_modules', 'cache', '.tmp']);

/** What the pack may hold: the CLI, the compiled library, the shipped profiles and the documents. */
const SHIPPED = /^(bin\/[^/]+\.(js|mjs)|bin\/package\.json|dist\/src\/.+\.(js|mjs|cjs|v8cache|d\.ts)|profiles\/[^/]+\.json|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;

/** The environment without the npm_* variables `npm test` sets, so that npm reads only the options given here. */
function npmEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const res = spawnSync(command, args, { encoding: 'utf8', cwd: opts.cwd ?? '/', env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`${command} ${args.join(' ')}: ${res.error.message}`);
  return res;
}

function output(res: SpawnSyncReturns<string>): string {
  return `exit ${res.status}\n${res.stdout}\n${res.stderr}`;
}

test('npm pack ships only bin/, dist/src/, profiles/ and the documents; installed globally, it builds the base jail and its shell runs', () => {
  const work = tempDir('jailbuild-pack-');
  const jails = tempDir('jailbuild-pack-out-');
  try {
    // A copy of the checkout without its build output, packed there: prepack builds it afresh, and the
    // dist/ the running suite was loaded from is left alone.
    const checkout = join(work, 'checkout');
    cpSync(TOP, checkout, { recursive: true, filter: (src) => src === TOP || !NOT_SOURCES.has(src.slice(TOP.length).replace(/^\/+/, '').split('/')[0] ?? '') });
    symlinkSync(join(TOP, 'node_modules'), join(checkout, 'node_modules'));
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const env = npmEnv({ npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' });

    const pack = run('npm', ['pack', '--json', '--pack-destination', packs], { cwd: checkout, env, timeout: 300_000 });
    assert.is(pack.status, 0, output(pack));
    assert.ok(existsSync(join(checkout, 'dist', 'src', 'index.js')), 'prepack built the copy');
    // npm prints the prepack build's own output before the JSON report.
    const report = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as { filename: string; entryCount: number; files: { path: string }[] }[];
    const packed = report[0];
    assert.ok(packed, output(pack));
    const paths = packed.files.map((f) => f.path).sort();
    assert.is(paths.length, packed.entryCount);
    assert.equal(
      paths.filter((p) => p.startsWith('dist/test')),
      [],
      'no compiled test in the pack',
    );
    assert.equal(
      paths.filter((p) => !SHIPPED.test(p)),
      [],
      'nothing but the CLI, the library, the profiles and the documents',
    );
    for (const needed of [
      'dist/src/bundle/cli.cjs',
      'dist/src/bundle/cli.cjs.v8cache',
      'dist/src/bundle/load-cached.cjs',
      'dist/src/bundle/mvdan-sh.v8cache',
      'bin/package.json',
      'bin/cli-loader.mjs',
      'dist/src/profile/profile-validator.cjs',
    ]) {
      assert.ok(paths.includes(needed), `${needed} is packed (the CLI bundle, its code cache and loaders, bin/'s CommonJS marker, the validator compiled at build time)`);
    }
    for (const needed of ['bin/jailbuild.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'profiles/schema.json', 'profiles/base.json', 'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      assert.ok(paths.includes(needed), `${needed} is in the pack`);
    }
    const byFolder = new Map<string, number>();
    for (const p of paths) {
      const key = p.startsWith('dist/src/') ? 'dist/src/' : p.includes('/') ? `${p.split('/')[0]}/` : p;
      byFolder.set(key, (byFolder.get(key) ?? 0) + 1);
    }
    console.log(`packed ${packed.filename}: ${packed.entryCount} files (${[...byFolder].map(([k, n]) => `${k} ${n}`).join(', ')})`);

    // Installed globally into a temporary prefix; the dependencies come from the registry.
    const prefix = join(work, 'prefix');
    const install = run('npm', ['install', '-g', '--prefix', prefix, join(packs, packed.filename)], { env, timeout: 600_000 });
    assert.is(install.status, 0, output(install));
    const bin = join(prefix, 'bin', 'jailbuild');
    assert.is(realpathSync(bin), join(prefix, 'lib', 'node_modules', 'jailbuild', 'bin', 'jailbuild.js'), 'the installed command is the installed copy');

    const userEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, XDG_CACHE_HOME: join(work, 'xdg-cache') };
    const help = run(bin, ['--help'], { env: userEnv });
    assert.is(help.status, 0, output(help));
    assert.match(help.stdout, /^Usage: jailbuild \[options\] \[command\]/);
    for (const command of ['resolve', 'profile', 'mount', 'umount', 'php-fpm-pool', 'audit']) assert.match(help.stdout, `\n  ${command} `);

    // A real build from the installed copy: the shipped profile and its schema are read from there.
    const jail = join(jails, 'jail');
    const build = run(bin, ['profile', 'base', '--out', jail], { env: userEnv, timeout: 300_000 });
    assert.is(build.status, 0, output(build));
    assert.match(build.stdout, `built ${jail}`);
    const shell = runInJail(jail, ['/bin/sh', '-c', 'echo hello']);
    assert.is(shell.status, 0, shell.stderr);
    assert.is(shell.stdout, 'hello\n');

    // The SBOM names the installed version, read from the pack's own package.json.
    const sbomFile = join(work, 'jail.cdx.json');
    const audit = run(bin, ['audit', jail, '--sbom', sbomFile, '--root', '/'], { env: userEnv, timeout: 300_000 });
    assert.ok(audit.status === 0 || audit.status === 1, output(audit));
    const sbom = JSON.parse(readFileSync(sbomFile, 'utf8')) as { metadata: { tools: { components: { name: string; version: string }[] } } };
    const version = (JSON.parse(readFileSync(join(TOP, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(sbom.metadata.tools.components[0], { type: 'application', name: 'jailbuild', version });
  } finally {
    removeDir(jails);
    removeDir(work);
  }
  assert.not.ok(existsSync(work), `${work} removed`);
  assert.not.ok(existsSync(jails), `${jails} removed`);
});

test.run();
