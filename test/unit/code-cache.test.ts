import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { loadCommonJs, loadedScripts } from '../../src/io/code-cache.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { SHELL_PARSER_CACHE, shellParserFile } from '../../src/script/shell-parse.js';
import { PROFILE_VALIDATOR_CACHE, profileValidatorFile } from '../../src/profile/validate-profile.js';

test.after.each(cleanupTempDirs);

interface Loaded {
  exports: { main: (argv: string[], out: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number> };
  cacheUsed: boolean;
}
interface Loader {
  BUNDLE: string;
  CODE_CACHE: string;
  loadBundle: (bundle?: string, cachePath?: string | null) => Loaded;
}

const top = fileURLToPath(new URL('../../../', import.meta.url));
const loader = (await import(pathToFileURL(join(top, 'bin', 'cli-loader.mjs')).href)) as Loader;

async function helpOf(loaded: Loaded): Promise<string> {
  let text = '';
  const code = await loaded.exports.main(['--help'], { stdout: (s) => (text += s), stderr: (s) => (text += s) });
  assert.is(code, 0);
  return text;
}

test('the built bundle runs with the code cache made for it (V8 accepts it)', async () => {
  assert.ok(existsSync(loader.BUNDLE), `${loader.BUNDLE}: the test runner builds the bundle first`);
  assert.ok(existsSync(loader.CODE_CACHE), `${loader.CODE_CACHE}: made with the bundle`);
  const loaded = loader.loadBundle();
  assert.ok(loaded.cacheUsed, 'the cache was accepted');
  assert.match(await helpOf(loaded), 'Usage: jailbuild');
});

test('a cache that does not belong to the source is refused by V8 and the bundle compiles from source', async () => {
  const dir = tempDir('jailbuild-code-cache-');
  // Another source (one byte more) with the real bundle's cache.
  const changed = join(dir, 'cli.cjs');
  writeFileSync(changed, readFileSync(loader.BUNDLE, 'utf8') + '\n// changed\n');
  const cache = join(dir, 'cli.cjs.v8cache');
  copyFileSync(loader.CODE_CACHE, cache);
  const other = loader.loadBundle(changed, cache);
  assert.not.ok(other.cacheUsed, 'a cache made for other source is rejected');
  assert.match(await helpOf(other), 'Usage: jailbuild');
  // The same length, one character changed: V8 alone would take the old cache (it checks the length).
  const text = readFileSync(loader.BUNDLE, 'utf8');
  const at = text.indexOf('Build, reproduce and audit chroot jails');
  assert.ok(at > 0);
  const sameLength = join(dir, 'same-length.cjs');
  writeFileSync(sameLength, text.slice(0, at) + 'X' + text.slice(at + 1));
  const edited = loader.loadBundle(sameLength, cache);
  assert.not.ok(edited.cacheUsed, 'a same-length edit is caught by the source hash');
  assert.match(await helpOf(edited), 'Xuild, reproduce', 'the edited source runs, not the cached one');
  // A damaged cache (one byte of V8's data flipped) is refused before V8 sees it (V8 may crash on it).
  const damaged = join(dir, 'damaged.v8cache');
  const bytes = readFileSync(loader.CODE_CACHE);
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
  writeFileSync(damaged, bytes);
  const hurt = loader.loadBundle(loader.BUNDLE, damaged);
  assert.not.ok(hurt.cacheUsed, 'a damaged cache is refused');
  assert.match(await helpOf(hurt), 'Usage: jailbuild');
  // Bytes that are no cache at all.
  const garbage = join(dir, 'garbage.v8cache');
  writeFileSync(garbage, Buffer.alloc(4096, 0xa5));
  const third = loader.loadBundle(loader.BUNDLE, garbage);
  assert.not.ok(third.cacheUsed, 'garbage is rejected');
  assert.match(await helpOf(third), 'Usage: jailbuild');
  // No cache file: compiled from source.
  assert.not.ok(loader.loadBundle(loader.BUNDLE, join(dir, 'none')).cacheUsed);
});

test('bin/jailbuild.js is CommonJS and loads the bundle through load-cached.cjs, which takes the same cache and refuses a damaged one', () => {
  // No ES module loader for the entry point (about 10 ms of every run): bin/package.json says CommonJS.
  assert.equal(JSON.parse(readFileSync(join(top, 'bin', 'package.json'), 'utf8')), { type: 'commonjs' });
  const cjs = createRequire(import.meta.url)(join(top, 'dist', 'src', 'bundle', 'load-cached.cjs')) as { loadCommonJs: typeof loadCommonJs };
  assert.ok(cjs.loadCommonJs(loader.BUNDLE, loader.CODE_CACHE).cacheUsed, 'the CommonJS loader hands V8 the cache, which it takes');
  const dir = tempDir('jailbuild-code-cache-cjs-');
  const damaged = join(dir, 'damaged.v8cache');
  const bytes = readFileSync(loader.CODE_CACHE);
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
  writeFileSync(damaged, bytes);
  assert.not.ok(cjs.loadCommonJs(loader.BUNDLE, damaged).cacheUsed, 'a damaged cache is refused by the CommonJS copy too');
  // The command itself, as a user runs it.
  const help = spawnSync(process.execPath, [join(top, 'bin', 'jailbuild.js'), '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: jailbuild /);
});

test("the shell parser's cache is taken too, and the parser it loads reads scripts as without it", () => {
  assert.ok(existsSync(SHELL_PARSER_CACHE), `${SHELL_PARSER_CACHE}: made with the bundle`);
  const cached = loadCommonJs(shellParserFile(), SHELL_PARSER_CACHE);
  assert.ok(cached.cacheUsed, 'the cache was accepted');
  const fresh = loadCommonJs(shellParserFile(), null);
  assert.not.ok(fresh.cacheUsed);
  type Printer = { syntax: { NewParser: () => { Parse: (text: string, name: string) => unknown }; NewPrinter: () => { Print: (node: unknown) => string } } };
  const print = (m: unknown): string => {
    const { syntax } = m as Printer;
    return syntax.NewPrinter().Print(syntax.NewParser().Parse('for f in *.txt; do grep -c x "$f" | sort; done\nexec ls', 'x'));
  };
  assert.is(print(cached.exports), print(fresh.exports));
});

test("the profile validator's cache is taken too, and the validator it loads judges profiles as without it", () => {
  assert.ok(existsSync(PROFILE_VALIDATOR_CACHE), `${PROFILE_VALIDATOR_CACHE}: made with the bundle`);
  // Reading a profile loads the validator through loadCommonJs, handing V8 the cache, which it takes.
  loadProfile('base');
  const used = loadedScripts.get(profileValidatorFile());
  assert.ok(used, 'the validator was loaded through loadCommonJs');
  assert.is(used?.cachedDataRejected, false, 'with its cache, accepted');
  const cached = loadCommonJs(profileValidatorFile(), PROFILE_VALIDATOR_CACHE);
  assert.ok(cached.cacheUsed, 'the cache was accepted');
  const fresh = loadCommonJs(profileValidatorFile(), null);
  assert.not.ok(fresh.cacheUsed);
  type Validate = ((doc: unknown) => boolean) & { errors?: unknown[] | null };
  const verdict = (m: unknown, doc: unknown): unknown => {
    const validate = m as Validate;
    const ok = validate(doc);
    return { ok, errors: validate.errors ?? null };
  };
  const docs = [JSON.parse(readFileSync(join(top, 'profiles', 'tex.json'), 'utf8')) as unknown, { extends: 'base', binaries: ['/usr/bin/ls'] }, { binaries: [7], trees: '/x', users: [{ name: 'a', uid: 'b' }], nonsense: true }];
  const seen = docs.map((d) => verdict(cached.exports, d));
  assert.equal(
    seen,
    docs.map((d) => verdict(fresh.exports, d)),
  );
  assert.equal(
    seen.map((v) => (v as { ok: boolean }).ok),
    [true, true, false],
  );
});

test("the command line's heap setting leaves the shell parser's cache usable, which the bare flag would not", () => {
  // In a process of its own: V8's flags are the process's, and the other tests run under the defaults.
  const codeCache = pathToFileURL(join(top, 'dist', 'src', 'io', 'code-cache.js')).href;
  const youngGeneration = pathToFileURL(join(top, 'dist', 'src', 'io', 'young-generation.js')).href;
  const shellParse = pathToFileURL(join(top, 'dist', 'src', 'script', 'shell-parse.js')).href;
  const script = `
    import v8 from 'node:v8';
    import { loadCommonJs } from ${JSON.stringify(codeCache)};
    import { keepYoungGenerationSmall } from ${JSON.stringify(youngGeneration)};
    import { SHELL_PARSER_CACHE, shellParserFile } from ${JSON.stringify(shellParse)};
    const seen = {};
    keepYoungGenerationSmall();
    seen.kept = loadCommonJs(shellParserFile(), SHELL_PARSER_CACHE).cacheUsed;
    // The flag set straight, as a careless caller would: V8 refuses the cache made under the defaults.
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    const vm = await import('node:vm');
    const { readFileSync } = await import('node:fs');
    const file = readFileSync(SHELL_PARSER_CACHE);
    const source = readFileSync(shellParserFile(), 'utf8');
    const bare = new vm.Script('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', { filename: shellParserFile(), cachedData: file.subarray(8 + 64) });
    seen.bare = !bare.cachedDataRejected;
    console.log(JSON.stringify(seen));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout), { kept: true, bare: false });
});

test('the bundle is ASCII, so V8 holds its source in one byte per character (scripts/build-bundle.mjs)', () => {
  const bytes = readFileSync(loader.BUNDLE);
  const at = bytes.findIndex((b) => b > 0x7f);
  assert.is(at, -1, `a byte over 0x7f at ${at}: ${bytes.subarray(Math.max(0, at - 40), at + 40).toString('utf8')}`);
});

test.run();
