/**
 * Reading what Python and Perl files import (src/script/python-imports.ts, perl-uses.ts) and finding
 * those modules on a module path inside a root built in the test (src/resolve/interpreter-modules.ts):
 * packages and their __init__, relative imports, compiled modules, lazy imports inside functions,
 * what no reading can know; Perl's use/require/parent/base, POD, __END__, XS parts in auto/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgramResolver } from '../../src/resolve/program-resolver.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { scanPerlUses } from '../../src/script/perl-uses.js';
import { describeReason } from '../../src/model/reason.js';
import { pythonTokens, scanPythonImports } from '../../src/script/python-imports.js';
import { cleanupTempDirs, sysroot, type TreeNode } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

test('scanPythonImports: import and from forms, relative levels, strings and comments skipped, lazy imports marked', () => {
  const source = [
    '"""A docstring that says import fake"""',
    'import os, sys as system',
    'import xml.etree.ElementTree as ET  # import commented',
    'from . import sibling',
    'from ..parent.mod import (a,',
    '    b as c)',
    'from json import *',
    "s = 'from nowhere import x'",
    'if True: import email.utils',
    'def later():',
    '    import sqlite3',
    '    def inner(): import ssl',
    '    return 1',
    'class K:',
    '    import hashlib',
    "mod = __import__('zlib')",
    'other = importlib.import_module(name)',
    'x = y if z else w; import glob',
    'raise ValueError from err',
  ].join('\n');
  const { imports, dynamic } = scanPythonImports(source);
  assert.equal(
    imports.map((i) => `${'.'.repeat(i.level)}${i.module}${i.names ? `:${i.names.join(',')}` : ''}@${i.line}${i.lazy ? ' lazy' : ''}`),
    ['os@2', 'sys@2', 'xml.etree.ElementTree@3', '.:sibling@4', '..parent.mod:a,b@5', 'json:*@7', 'email.utils@9', 'sqlite3@11 lazy', 'ssl@12 lazy', 'hashlib@15', 'zlib@16', 'glob@18'],
  );
  assert.equal(
    dynamic.map((d) => d.line),
    [17],
  );
});

test('scanPerlUses: use, no, require (module and file), parent/base lists, use if, use lib; POD, comments, __END__ skipped', () => {
  const source = [
    'use strict;',
    'use warnings; use POSIX qw(floor);',
    'use 5.010;',
    'no warnings "once";',
    "use parent -norequire, 'Local::Thing';",
    'use base qw(Exporter Tie::Hash);',
    "use if $] < 5.008, 'Encode';",
    "use lib '/opt/app/lib';",
    "require 'Config_heavy.pl';",
    'require Digest::SHA;',
    'require $plugin;',
    'eval { require Time::HiRes };',
    '# use Commented::Out;',
    '=pod',
    'use Pod::Only;',
    '=cut',
    'XSLoader::load();',
    '__END__',
    'use After::End;',
  ].join('\n');
  const r = scanPerlUses(source);
  assert.equal(
    r.uses.map((u) => `${u.module}${u.file ? ' (file)' : ''}@${u.line}`),
    ['strict@1', 'warnings@2', 'POSIX@2', 'warnings@4', 'parent@5', 'base@6', 'Exporter@6', 'Tie::Hash@6', 'if@7', 'Encode@7', 'lib@8', 'Config_heavy.pl (file)@9', 'Digest::SHA@10', 'Time::HiRes@12'],
  );
  assert.equal(r.libs, ['/opt/app/lib']);
  assert.equal(
    r.dynamic.map((d) => d.line),
    [11],
  );
  assert.ok(r.xs);
});

test('scanPerlUses: indented use inside a package or sub; the glob operator loads File::Glob', () => {
  const r = scanPerlUses("package A;\n{\n    use parent 'Encode::Encoding';\n}\nsub x {\n    use bytes;\n    my @c = glob('*.c');\n    my @h = <*.h>;\n    my $line = <STDIN>;\n}\n");
  assert.equal(
    r.uses.map((u) => `${u.module}@${u.line}`),
    ['parent@3', 'Encode::Encoding@3', 'bytes@6', 'File::Glob@7', 'File::Glob@8'],
  );
});

test('scanPerlUses: a require of Folder::$name or "Folder/$name.pm" names a folder of modules; other computed requires stay unknown', () => {
  const r = scanPerlUses('eval qq{ require Dpkg::Vendor::$name; };\nrequire "File/Spec/$mod.pm";\nrequire \'Plain/$x.pm\';\nrequire $class;\nrequire "$dir/x.pm";\n');
  assert.equal(
    r.families.map((f) => `${f.folder}@${f.line}`),
    ['Dpkg/Vendor@1', 'File/Spec@2'],
  );
  assert.equal(
    r.dynamic.map((d) => d.line),
    [3, 4, 5],
    "single quotes do not interpolate: 'Plain/$x.pm' names no folder of modules",
  );
  assert.equal(r.uses, []);
});

test("scanPerlUses: File::Spec->catfile of a literal folder (or a scalar given one) and literal names is a named file (groffer's split_env.sh); computed parts, .. and other places are not", () => {
  const r = scanPerlUses(
    [
      "my $libdir = '/usr/lib/groff/groffer';",
      "$f = File::Spec->catfile($libdir, 'split_env.sh');",
      "$g = File::Spec->catfile('/usr/share/app', 'data', 'x.txt');",
      '$h = File::Spec->catfile($libdir, $name);',
      "$i = File::Spec->catfile($unknown, 'y.sh');",
      "$j = File::Spec->catfile('/etc', 'passwd');",
      "$k = File::Spec->catfile($libdir, '..', 'z');",
    ].join('\n'),
  );
  assert.equal(r.named, [
    { line: 1, path: '/usr/lib/groff/groffer' }, // any literal path under /usr (the resolver brings regular files only)
    { line: 2, path: '/usr/lib/groff/groffer/split_env.sh' },
    { line: 3, path: '/usr/share/app' },
    { line: 3, path: '/usr/share/app/data/x.txt' },
  ]);
});

const PY = '#!/usr/bin/python3\n';

function pythonRoot(extra: Record<string, TreeNode> = {}): string {
  return sysroot({
    'usr/bin/python3.11': Buffer.from('not an ELF file, but a file'),
    'usr/bin/python3': { link: 'python3.11' },
    'usr/lib/python3.11/site.py': 'import os\nimport sys\n',
    'usr/lib/python3.11/os.py': 'import abc\nfrom posixpath import join\n',
    'usr/lib/python3.11/abc.py': '',
    'usr/lib/python3.11/posixpath.py': 'import genericpath\n',
    'usr/lib/python3.11/genericpath.py': '',
    'usr/lib/python3.11/encodings/__init__.py': 'from . import aliases\n',
    'usr/lib/python3.11/encodings/aliases.py': '',
    'usr/lib/python3.11/encodings/utf_8.py': 'import codecs\n',
    'usr/lib/python3.11/codecs.py': '',
    'usr/lib/python3.11/json/__init__.py': 'from .decoder import JSONDecoder\ndef f():\n    import lazy_only\n',
    'usr/lib/python3.11/json/decoder.py': 'from json import scanner\n',
    'usr/lib/python3.11/json/scanner.py': '',
    'usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so': 'not really ELF',
    'usr/lib/python3.11/lazy_only.py': '',
    'usr/lib/python3/dist-packages/thirdparty/__init__.py': '',
    'srv/app/run.py': `${PY}import json, _ssl, sys\nfrom mypkg import tool\nimport not_there\ndef g():\n    import lazy_only\n__import__(name)\n`,
    'srv/app/mypkg/__init__.py': 'from .sub import thing\n',
    'srv/app/mypkg/sub.py': 'from ..mypkg import tool\n',
    'srv/app/mypkg/tool.py': 'import thirdparty\n',
    ...extra,
  });
}

test('pythonTokens: string prefixes, escapes (raw or not), triple quotes over lines, an unterminated string, long and non-ASCII names, line ends inside brackets', () => {
  const source = [String.raw`a = r'x\'y' + b'c\nd' + Rb"\"" + f'''e`, `''' + '' # 'comment'`, 'caf\u00e9 = (1,', '  2)', "'open", 'import os', 'n' + 'x'.repeat(205) + ' = u"\\'].join('\n');
  const tokens = pythonTokens(source);
  const all: Array<[number, string | undefined, number, number | undefined]> = [];
  for (let i = 0; i < tokens.length; i++) all.push([tokens.kind(i), tokens.text(i), tokens.line(i), tokens.indent(i)]);
  const strings = all.filter((t) => t[0] === 3).map((t) => [t[1], t[2]]);
  assert.equal(strings, [
    [String.raw`x\'y`, 1], // raw: the backslash stays, and the quote after it does not end the string
    ['cnd', 1], // an escape keeps the character after the backslash
    [String.raw`\"`, 1],
    ['e\n', 1], // a triple-quoted string runs over the line end
    ['', 2],
    ['open', 5], // unterminated: the line ends it
    ['', 7], // a backslash at the very end of the file
  ]);
  const names = all.filter((t) => t[0] === 1).map((t) => [t[1], t[2], t[3]]);
  assert.equal(names, [
    ['a', 1, 0],
    ['caf\u00e9', 3, 0],
    ['import', 6, 0], // the unterminated string's line end counted once
    ['os', 6, undefined],
    [`n${'x'.repeat(199)}`, 7, 0], // a name is cut at 200 characters and goes on as the next token
    ['xxxxxx', 7, undefined],
  ]);
  // Line ends inside brackets are no logical line ends; the file's end always is one.
  assert.equal(
    all.filter((t) => t[0] === 4).map((t) => t[2]),
    [2, 4, 5, 6, 7],
  );
  assert.equal(scanPythonImports(source).imports, [{ module: 'os', level: 0, line: 6, lazy: false }]);
});

test('followPythonImports: a compiled module is the first file of its folder named NAME.so, NAME.abi3.so or NAME.cpython-*.so; others are no module', () => {
  const root = pythonRoot({
    'usr/lib/python3.11/lib-dynload/_fast.abi3.so': 'not really ELF',
    'usr/lib/python3.11/lib-dynload/_fast.cpython-311-x86_64-linux-gnu.so': 'not really ELF',
    'usr/lib/python3.11/lib-dynload/_plain.so': 'not really ELF',
    'usr/lib/python3.11/lib-dynload/_odd.debug.so': 'not really ELF',
    'usr/lib/python3.11/lib-dynload/_old.so.1': 'not really ELF',
    'srv/app/fast.py': `${PY}import _fast, _plain, _odd, _old\n`,
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/fast.py'));
  const paths = closure.needs.list().map((n) => n.path);
  const dynload = '/usr/lib/python3.11/lib-dynload';
  assert.ok(paths.includes(`${dynload}/_fast.abi3.so`), paths.join(' '));
  assert.not.ok(paths.includes(`${dynload}/_fast.cpython-311-x86_64-linux-gnu.so`), 'only the first in the listing');
  assert.ok(paths.includes(`${dynload}/_plain.so`));
  assert.not.ok(paths.some((p) => p.includes('_odd') || p.includes('_old')));
  const missing = closure.diagnostics.filter((d) => d.code === 'MODULE_MISSING').map((d) => d.message);
  assert.ok(
    missing.some((m) => m.includes('imports _odd,')),
    missing.join('\n'),
  );
  assert.ok(
    missing.some((m) => m.includes('imports _old,')),
    missing.join('\n'),
  );
});

test("scanPythonImports: sys.path folders written as os.path.join of literals (lilypond's scripts); computed ones are left out", () => {
  const r = scanPythonImports(
    "import os, sys\nsys.path.insert (0, os.path.join ('/usr/share/lilypond/2.24.1', 'python'))\nsys.path.append(os.path.join('/opt/a/', 'b', 'c'))\nsys.path.insert(0, os.path.join('/x', '/abs'))\nsys.path.insert(0, os.path.join(datadir, 'python'))\nsys.path.append(os.path.join('/y', name))\n",
  );
  assert.equal(r.paths, [
    { dir: '/usr/share/lilypond/2.24.1/python', first: true },
    { dir: '/opt/a/b/c', first: false },
    { dir: '/abs', first: true },
  ]);
});

test("followPythonImports: a script's literal sys.path.insert/append folders are searched (py3compile's /usr/share/python3)", () => {
  const root = pythonRoot({
    'usr/share/python3/debpython/__init__.py': '',
    'usr/share/python3/debpython/files.py': '',
    'opt/late/latemod.py': '',
    'srv/app/compile.py': `${PY}import sys\nsys.path.insert(1, '/usr/share/python3/')\nsys.path.append("/opt/late")\nsys.path.insert(0, somewhere)\nfrom debpython.files import x\nimport latemod\n`,
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/compile.py'));
  const paths = closure.needs.list().map((n) => n.path);
  for (const want of ['/usr/share/python3/debpython/__init__.py', '/usr/share/python3/debpython/files.py', '/opt/late/latemod.py']) assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  assert.not.ok(
    closure.diagnostics.some((d) => d.code === 'MODULE_MISSING'),
    closure.diagnostics.map((d) => d.message).join('\n'),
  );
});

test("followPythonImports: functools brings typing (singledispatch's register imports it as modules load), sysconfig its _sysconfigdata_ modules (a computed __import__)", () => {
  const root = pythonRoot({
    'usr/lib/python3.11/functools.py': 'def register():\n    from typing import get_type_hints\n',
    'usr/lib/python3.11/typing.py': '',
    'usr/lib/python3.11/sysconfig.py': 'def _init_posix(v):\n    _temp = __import__(name, globals(), locals(), ["build_time_vars"], 0)\n',
    'usr/lib/python3.11/_sysconfigdata__x86_64-linux-gnu.py': '',
    'usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py': '',
    'usr/lib/python3.11/unrelated.py': '',
    'srv/app/doc.py': `${PY}import functools\nimport sysconfig\n`,
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const paths = resolver
    .closure(resolver.fs.lookup('/srv/app/doc.py'))
    .needs.list()
    .map((n) => n.path);
  for (const want of ['typing.py', '_sysconfigdata__x86_64-linux-gnu.py', '_sysconfigdata__linux_x86_64-linux-gnu.py']) assert.ok(paths.includes(`/usr/lib/python3.11/${want}`), want);
  assert.not.ok(paths.includes('/usr/lib/python3.11/unrelated.py'));
  // The resolver keeps each module's scan for the next program: a second walk finds the same.
  const again = resolver
    .closure(resolver.fs.lookup('/srv/app/doc.py'))
    .needs.list()
    .map((n) => `${n.path} ${n.reason.kind} ${n.reason.from ?? ''}`);
  const first = resolver
    .closure(resolver.fs.lookup('/srv/app/doc.py'))
    .needs.list()
    .map((n) => `${n.path} ${n.reason.kind} ${n.reason.from ?? ''}`);
  assert.equal(again, first);
  assert.equal(again.length, paths.length);
});

test('followPythonImports: a setuptools entry-point script brings its distribution metadata and the module its entry point names', () => {
  const root = pythonRoot({
    'usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/entry_points.txt': '[console_scripts]\npygmentize = pygments.cmdline:main\n',
    'usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/PKG-INFO': 'Name: Pygments\n',
    'usr/lib/python3/dist-packages/pygments/__init__.py': '',
    'usr/lib/python3/dist-packages/pygments/cmdline.py': 'import json\n',
    'srv/app/pygmentize': `${PY}# EASY-INSTALL-ENTRY-SCRIPT: 'Pygments==2.14.0','console_scripts','pygmentize'\nimport re\n`,
    'srv/app/other': `${PY}# EASY-INSTALL-ENTRY-SCRIPT: 'NotThere==1.0','console_scripts','other'\n`,
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/pygmentize'));
  const paths = closure.needs.list().map((n) => n.path);
  for (const want of [
    '/usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/entry_points.txt',
    '/usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/PKG-INFO',
    '/usr/lib/python3/dist-packages/pygments/__init__.py',
    '/usr/lib/python3/dist-packages/pygments/cmdline.py',
    '/usr/lib/python3.11/json/__init__.py',
  ])
    assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  const other = resolver.closure(resolver.fs.lookup('/srv/app/other'));
  assert.ok(other.diagnostics.some((d) => d.code === 'MODULE_MISSING' && d.message.includes('NotThere')));
});

test('followPythonImports: the script, its package, the standard library it imports (not what functions import lazily), compiled modules, start-up modules', () => {
  const root = pythonRoot();
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/run.py'));
  const paths = closure.needs
    .list()
    .map((n) => n.path)
    .sort();
  for (const want of [
    '/srv/app/mypkg/__init__.py',
    '/srv/app/mypkg/sub.py',
    '/srv/app/mypkg/tool.py',
    '/usr/lib/python3/dist-packages/thirdparty/__init__.py',
    '/usr/lib/python3.11/json/__init__.py',
    '/usr/lib/python3.11/json/decoder.py',
    '/usr/lib/python3.11/json/scanner.py',
    '/usr/lib/python3.11/site.py',
    '/usr/lib/python3.11/os.py',
    '/usr/lib/python3.11/genericpath.py',
    '/usr/lib/python3.11/encodings/utf_8.py',
    '/usr/lib/python3.11/codecs.py',
    '/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so',
    '/usr/lib/python3.11/lazy_only.py',
  ])
    assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  const codes = closure.diagnostics.map((d) => `${d.code} ${d.message.split(':')[0]}:${d.message.split(':')[1]}`);
  assert.ok(codes.includes('MODULE_MISSING /srv/app/run.py:4'), codes.join('\n'));
  assert.ok(codes.includes('MODULE_UNKNOWN /srv/app/run.py:7'), codes.join('\n'));
  assert.not.ok(
    codes.some((c) => c.includes('sys')),
    'sys is built in',
  );
  const lazyFromStdlib = closure.needs.list().find((n) => n.path === '/usr/lib/python3.11/lazy_only.py');
  assert.match(lazyFromStdlib?.reason.from ?? '', /\/srv\/app\/run\.py/, 'lazy_only comes from the script, not from json.f()');
});

test('followPerlUses: modules on @INC, the compiled part in auto/, parents, use lib; missing modules named with file and line', () => {
  const root = sysroot({
    'usr/bin/perl': 'not ELF',

    'usr/lib/x86_64-linux-gnu/perl-base/strict.pm': 'package strict;\n',
    'usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm': 'package POSIX;\nuse Fcntl;\nrequire XSLoader;\nXSLoader::load();\n',
    'usr/lib/x86_64-linux-gnu/perl-base/Fcntl.pm': '',
    'usr/lib/x86_64-linux-gnu/perl-base/XSLoader.pm': '',
    'usr/lib/x86_64-linux-gnu/perl-base/lib.pm': 'package lib;\n',
    'usr/lib/x86_64-linux-gnu/perl-base/auto/POSIX/POSIX.so': 'not really ELF',
    'usr/share/perl5/Base/Class.pm': '',
    'usr/share/perl/5.36/parent.pm': '',
    'usr/share/perl/5.36/base.pm': '',
    'opt/app/lib/Mine.pm': 'use parent -norequire, "Nope";\nuse base "Base::Class";\n',
    'usr/lib/x86_64-linux-gnu/perl/5.36/File/Spec.pm': 'package File::Spec;\nmy $module = $module{$^O} || "Unix";\nrequire "File/Spec/$module.pm";\n',
    'usr/lib/x86_64-linux-gnu/perl/5.36/File/Spec/Unix.pm': '',
    'srv/run.pl': "#!/usr/bin/perl\nuse strict;\nuse POSIX qw(floor);\nuse lib '/opt/app/lib';\nuse Mine;\nuse Not::Installed;\nuse File::Spec;\n",
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/run.pl'));
  const paths = closure.needs.list().map((n) => n.path);
  for (const want of [
    '/usr/lib/x86_64-linux-gnu/perl-base/strict.pm',
    '/usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm',
    '/usr/lib/x86_64-linux-gnu/perl-base/Fcntl.pm',
    '/usr/lib/x86_64-linux-gnu/perl-base/XSLoader.pm',
    '/usr/lib/x86_64-linux-gnu/perl-base/lib.pm',
    '/usr/lib/x86_64-linux-gnu/perl-base/auto/POSIX/POSIX.so',
    '/opt/app/lib/Mine.pm',
    '/usr/share/perl5/Base/Class.pm',
    '/usr/lib/x86_64-linux-gnu/perl/5.36/File/Spec/Unix.pm',
  ])
    assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  const missing = closure.diagnostics.filter((d) => d.code === 'MODULE_MISSING').map((d) => d.message.split(',')[0]);
  assert.equal(missing, ['/srv/run.pl:6: loads Not::Installed']);
});

test('scanPerlUses: programs run by a name written out (backticks, qx, system, exec, piped open); messages in quotes and shell words left out', () => {
  const r = scanPerlUses(
    [
      'my $v = `kpsewhich -var-value=TEXMFROOT`;',
      'print "try `perldoc foo\' for help\\n";',
      'my $w = qx{/usr/bin/groff -v};',
      'system("tar", "-cf", $x);',
      "system 'cd /tmp && make';",
      'exec("$prog", @args);',
      'open(my $fh, "gzip -dc $f |") or die;',
      "open(OUT, '| sort -u');",
      "open my $p, '-|', 'git', 'log';",
    ].join('\n'),
  );
  assert.equal(
    r.commands.map((c) => `${c.name}@${c.line}`),
    ['kpsewhich@1', '/usr/bin/groff@3', 'tar@4', 'gzip@7', 'sort@8', 'git@9'],
  );
});

test('scanPerlUses: a folder put on @INC with unshift/push, written out or through a scalar given it; perldiag.pod named', () => {
  const r = scanPerlUses("my $libdir = '/usr/lib/groff/gpinyin';\nunshift(@INC, $libdir);\npush @INC, '/opt/more';\nunshift @INC, $unknown;\nmy $pod = \"$privlib/pod/perldiag.pod\";\n");
  assert.equal(r.libs, ['/usr/lib/groff/gpinyin', '/opt/more']);
  assert.ok(r.perldiag);
  assert.not.ok(scanPerlUses('use strict;\n').perldiag);
});

test('followPerlUses: names known on Linux (Pod::Usage formats with Pod::Text, ExtUtils::MM loads MM_Unix), perldiag.pod, @INC folders, and the programs the script runs', () => {
  const root = sysroot({
    'usr/bin/perl': 'not ELF',
    'usr/bin/kpsewhich': '#!/bin/sh\necho 1\n',
    'bin/sh': 'not ELF',
    'usr/share/perl/5.36/Pod/Usage.pm': 'package Pod::Usage;\nBEGIN { $Pod::Usage::Formatter ||= \'Pod::Text\'; eval "require $Pod::Usage::Formatter"; }\n',
    'usr/share/perl/5.36/Pod/Text.pm': 'package Pod::Text;\n',
    'usr/share/perl/5.36/ExtUtils/MM.pm': 'package ExtUtils::MM;\nmy $class = "ExtUtils::MM_$OS";\neval "require $class";\n',
    'usr/share/perl/5.36/ExtUtils/MM_Unix.pm': 'package ExtUtils::MM_Unix;\n',
    'usr/share/perl/5.36/pod/perldiag.pod': '=head1 NAME\n',
    'opt/tool/lib/subs.pl': '1;\n',
    'srv/run.pl':
      "#!/usr/bin/perl\nuse Pod::Usage;\nuse ExtUtils::MM;\nmy $d = '/opt/tool/lib';\nunshift(@INC, $d);\nrequire 'subs.pl';\nmy $pod = \"$lib/pod/perldiag.pod\";\nmy $v = `kpsewhich --version`;\nsystem('not-installed', '-x');\n",
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/run.pl'));
  const paths = closure.needs.list().map((n) => n.path);
  for (const want of ['/usr/share/perl/5.36/Pod/Text.pm', '/usr/share/perl/5.36/ExtUtils/MM_Unix.pm', '/usr/share/perl/5.36/pod/perldiag.pod', '/opt/tool/lib/subs.pl', '/usr/bin/kpsewhich', '/bin/sh'])
    assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  const warned = closure.diagnostics.filter((d) => d.code === 'SCRIPT_UNKNOWN').map((d) => d.message);
  assert.equal(warned, ['/srv/run.pl:9: runs not-installed, which is not in the root']);
});

test('named files: a script names data under /usr by its absolute path; existing regular files come, folders, other trees and missing files do not', () => {
  assert.equal(scanPythonImports("import configparser\nc = configparser.ConfigParser()\nc.read('/usr/share/python3/debian_defaults')\nx = '/usr/share/python3/'\ny = '/etc/passwd'\nz = '/usr/share/a b'\n").named, [
    { line: 3, path: '/usr/share/python3/debian_defaults' },
  ]);
  assert.equal(scanPerlUses("open(my $f, '<', '/usr/share/tool/defaults.conf');\nmy $d = \"/usr/share/$x/y\";\n").named, [{ line: 1, path: '/usr/share/tool/defaults.conf' }]);
  const root = pythonRoot({
    'usr/share/python3/debian_defaults': '[DEFAULT]\ndefault-version = python3.11\n',
    'usr/share/python3/folder/inside': '',
    'srv/app/defaults.py': `${PY}import configparser\nconfigparser.ConfigParser().read('/usr/share/python3/debian_defaults')\nprint('/usr/share/python3/folder')\nprint('/usr/share/python3/not-there')\n`,
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/defaults.py'));
  const named = closure.needs.list().filter((n) => n.reason.kind === 'named-by');
  assert.equal(
    named.map((n) => `${n.path} ${describeReason(n.reason)}`),
    ['/usr/share/python3/debian_defaults named by /srv/app/defaults.py line 3'],
  );
});

test.run();
