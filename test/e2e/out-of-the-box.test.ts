/**
 * Jails for one program that work out of the box, as an ordinary user: a Python, a Perl and a Node.js
 * script from nothing but their paths (their imports followed), java without /proc (its $ORIGIN
 * libraries in the jail's own ld.so.cache), ghostscript from its packages. Each jail is proven by
 * `jailbuild test`: the program runs inside it, chrooted, as uid 65534, with no /proc.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/**
 * A folder for a program's own files outside /tmp (each test of a jail gets an empty /tmp of its own,
 * which would hide them), readable by everyone; removed after the test.
 */
function appDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync('/var/tmp/jailbuild-app-');
  chmodSync(dir, 0o755);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

/** `jailbuild test PROFILE` passes; returns its output. */
function passes(profile: object, name: string): string {
  const dir = tempDir();
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(profile, null, 2));
  const run = jailbuild(['test', file]);
  assert.is(run.code, 0, `${name}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

test('a Python script importing json, sqlite3, ssl, hashlib and a package of its own runs in a jail from its path alone', () => {
  const app = appDir();
  try {
    write(join(app.dir, 'mypkg/__init__.py'), 'from .helpers import shout\n');
    write(join(app.dir, 'mypkg/helpers.py'), 'import hashlib\n\ndef shout(s):\n    return s.upper() + " " + hashlib.sha256(s.encode()).hexdigest()[:8]\n');
    write(
      join(app.dir, 'app.py'),
      [
        '#!/usr/bin/python3',
        'import json, sqlite3, ssl, hashlib',
        'from mypkg import shout',
        "db = sqlite3.connect(':memory:')",
        "print(json.dumps({'sum': db.execute('select 1+2').fetchone()[0], 'tls': ssl.PROTOCOL_TLS_CLIENT.name, 'md5': hashlib.md5(b'x').hexdigest()[:6]}))",
        "print(shout('jail'))",
        '',
      ].join('\n'),
      0o755,
    );
    const out = passes(
      { extends: 'base', binaries: [join(app.dir, 'app.py')], tests: [{ name: 'run', run: join(app.dir, 'app.py'), expect: { stdout: '^\\{"sum": 3, "tls": "PROTOCOL_TLS_CLIENT", "md5": "9dd4e4"\\}\\nJAIL 7d72fa80$' } }] },
      'python',
    );
    assert.match(out, /test 'run' \(as 65534:65534\): passed/);
  } finally {
    app.done();
  }
});

test('a Perl script with use strict, POSIX and Digest::SHA runs in a jail from its path alone', () => {
  const app = appDir();
  try {
    write(join(app.dir, 'sum.pl'), '#!/usr/bin/perl\nuse strict;\nuse warnings;\nuse POSIX qw(floor);\nuse Digest::SHA qw(sha256_hex);\nprint "floor ", floor(7.9), "\\n";\nprint substr(sha256_hex("jail"), 0, 8), "\\n";\n', 0o755);
    passes({ extends: 'base', binaries: [join(app.dir, 'sum.pl')], tests: [{ name: 'run', run: join(app.dir, 'sum.pl'), expect: { stdout: '^floor 7\\n7d72fa80$' } }] }, 'perl');
  } finally {
    app.done();
  }
});

test('a Perl script that requires a module named at run time (require Plug::$name, "Plug/$name.pm") gets the modules of that folder', () => {
  const app = appDir();
  try {
    mkdirSync(join(app.dir, 'lib', 'Plug'), { recursive: true });
    for (const name of ['One', 'Two']) write(join(app.dir, 'lib', 'Plug', `${name}.pm`), `package Plug::${name};\nuse strict;\nsub hello { return "${name.toLowerCase()}" }\n1;\n`, 0o644);
    write(
      join(app.dir, 'plug.pl'),
      `#!/usr/bin/perl\nuse strict;\nuse lib '${join(app.dir, 'lib')}';\nmy $n = $ARGV[0];\neval "require Plug::$n; 1" or die $@;\nrequire "Plug/$ARGV[1].pm";\nprint "Plug::$n"->hello(), " ", "Plug::$ARGV[1]"->hello(), "\\n";\n`,
      0o755,
    );
    passes({ extends: 'base', binaries: [join(app.dir, 'plug.pl')], tests: [{ name: 'run', run: `${join(app.dir, 'plug.pl')} Two One`, expect: { stdout: '^two one$' } }] }, 'perl-family');
  } finally {
    app.done();
  }
});

test('a Node.js script: relative requires, a package in node_modules with exports, an ES module with a #subpath import, a JSON file, all from the script path alone', () => {
  const app = appDir();
  try {
    const pkg = join(app.dir, 'node_modules', 'greet');
    write(join(pkg, 'package.json'), JSON.stringify({ name: 'greet', type: 'module', exports: { '.': { import: './src/index.js', require: './src/index.cjs' } }, imports: { '#upper': './src/upper.js' } }));
    write(join(pkg, 'src', 'index.cjs'), "const { upper } = require('./upper-cjs.cjs');\nmodule.exports = (s) => upper(`hello ${s}`);\n");
    write(join(pkg, 'src', 'upper-cjs.cjs'), 'exports.upper = (s) => s.toUpperCase();\n');
    write(join(pkg, 'src', 'index.js'), "import upper from '#upper';\nexport default (s) => upper(`hi ${s}`);\n");
    write(join(pkg, 'src', 'upper.js'), 'export default (s) => s.toUpperCase();\n');
    write(join(app.dir, 'lib', 'data.json'), '{"who": "jail"}\n');
    write(join(app.dir, 'lib', 'util.js'), "const path = require('node:path');\nconst data = require(path.join(__dirname, 'data.json'));\nmodule.exports = () => data.who;\n");
    write(join(app.dir, 'app.js'), "#!/usr/bin/env node\nconst who = require('./lib/util')();\nconst greet = require('greet');\nimport('greet').then((m) => console.log(`${greet(who)} ${m.default(who)}`));\n", 0o755);
    passes({ extends: 'base', binaries: [join(app.dir, 'app.js')], tests: [{ name: 'run', run: join(app.dir, 'app.js'), expect: { stdout: '^HELLO JAIL HI JAIL$' } }] }, 'node-app');
  } finally {
    app.done();
  }
});

test("java -version runs in a jail without /proc: its $ORIGIN libraries are in the jail's ld.so.cache", () => {
  const dir = tempDir();
  const profile = { extends: 'base', binaries: ['java'], packages: ['openjdk-17-jre-headless'], tests: [{ name: 'version', run: 'test ! -e /proc/self && java -version 2>&1', expect: { stdout: '^OpenJDK Runtime Environment' } }] };
  passes(profile, 'java');
  const file = join(dir, 'java.json');
  writeFileSync(file, JSON.stringify(profile));
  const build = jailbuild(['profile', file, '--out', join(dir, 'jail')]);
  assert.is(build.code, 0, build.stderr);
  assert.not.match(build.stderr, /ORIGIN/, 'no warning that the jail needs /proc');
});

test('java and keytool from their paths alone: the Java runtime they run from comes with them, and they run without /proc', () => {
  passes({ extends: 'base', binaries: ['/usr/bin/java'], tests: [{ name: 'version', run: 'test ! -e /proc/self && java -version 2>&1', expect: { stdout: '^OpenJDK Runtime Environment' } }] }, 'java-alone');
  passes({ extends: 'base', binaries: ['/usr/bin/keytool'], tests: [{ name: 'help', run: 'keytool -help 2>&1', expect: { stdout: 'Key and Certificate Management Tool' } }] }, 'keytool-alone');
});

test('ghostscript from its packages alone runs ps2pdf', () => {
  passes(
    {
      extends: 'base',
      packages: ['ghostscript', 'libgs*-common', 'fonts-urw-base35'],
      tests: [
        {
          name: 'ps2pdf',
          run: 'ps2pdf in.ps out.pdf && read -r head < out.pdf && echo "$head"',
          files: [{ path: '/tmp/in.ps', text: '%!PS\n/Times-Roman findfont 24 scalefont setfont 72 700 moveto (Hello) show showpage\n' }],
          expect: { stdout: '^%PDF-1\\.' },
        },
      ],
    },
    'gs-packages',
  );
});

test('resolve --packages and audit --why name the Debian package that owns a file', () => {
  const resolved = jailbuild(['resolve', '--packages', '/usr/bin/gs']);
  assert.is(resolved.code, 0, resolved.stderr);
  assert.match(resolved.stdout, /libgs\.so\.10 => .*\[ld\.so\.cache\] {2}\(libgs10\)/);
  const dir = tempDir();
  const jail = join(dir, 'jail');
  assert.is(jailbuild(['profile', 'ghostscript', '--out', jail, '--manifest', join(dir, 'm.json')]).code, 0);
  const why = jailbuild(['audit', jail, '--manifest', join(dir, 'm.json'), '--why', '/usr/bin/gs']);
  assert.match(why.stdout, /package: ghostscript \(in the source root's dpkg database\)/);
});

test.run();
