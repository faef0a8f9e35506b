import { execFileSync } from 'node:child_process';
import type { Node } from 'mvdan-sh';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeShellScript, envTarget, parseShebang, type ShellAnalysis } from '../../src/index.js';
import { parseShell, syntaxModule } from '../../src/script/shell-parse.js';
import type { ShellKind } from '../../src/script/shell-builtins.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const host = {
  readSource: (name: string) => (name.endsWith('lib.sh') ? { path: '/usr/lib/x/lib.sh', text: 'helper() { sed -n p; }\nLIBVAR=/usr/bin/awk\n' } : null),
  realpath: (p: string) => (p === '/usr/local/bin/tool' ? '/opt/tool/bin/tool' : p),
};

function analyze(text: string, shell: ShellKind = 'sh', argv0 = '/usr/bin/script'): ShellAnalysis {
  return analyzeShellScript(text, '/usr/bin/script', { shell, argv0, env: { PATH: '/usr/bin:/bin' }, host });
}
const names = (a: ShellAnalysis): string[] => [...new Set(a.commands.map((c) => c.name))].sort();

test('shebangs: arguments, spaces, env and env -S', () => {
  assert.equal(parseShebang(Buffer.from('#!/bin/sh\necho')), { interpreter: '/bin/sh', line: '/bin/sh' });
  assert.equal(parseShebang(Buffer.from('#! /bin/bash -e -u \n')), { interpreter: '/bin/bash', argument: '-e -u', line: ' /bin/bash -e -u ' });
  assert.equal(parseShebang(Buffer.from('#!/usr/bin/env\tpython3\n'))?.argument, 'python3');
  assert.is(parseShebang(Buffer.from('\x7fELF')), null);
  assert.is(parseShebang(Buffer.from('#!\n')), null);
  assert.equal(envTarget('python3'), { program: 'python3', split: false });
  assert.equal(envTarget('-S perl -w'), { program: 'perl', split: true });
  assert.equal(envTarget('-S LANG=C bash -e'), { program: 'bash', split: true });
  assert.equal(envTarget('-i'), { split: false });
});

test('simple commands everywhere: pipelines, lists, $(...), backticks, subshells, if, while, for, case', () => {
  const a = analyze(
    `
    cat /etc/x | sort | uniq -c
    true && head -1 f || tail -1 f
    v=$(wc -l < f); w=\`date +%s\`
    ( cd /tmp; tar cf - . ) > /dev/null
    { grep x f; }
    if test -f x; then cp a b; elif [ -d y ]; then mv a b; else rm a; fi
    while read line; do printf '%s\\n' "$line" | tr a b; done < f
    for f in *.txt; do gzip "$f"; done
    case "$1" in start) nohup sleep 1 ;; *) logger oops ;; esac
    [[ -n "$(id -u)" ]] && echo root
  `,
    'bash',
  );
  assert.equal(names(a), ['cat', 'cp', 'date', 'grep', 'gzip', 'head', 'id', 'logger', 'mv', 'nohup', 'rm', 'sleep', 'sort', 'tail', 'tar', 'tr', 'uniq', 'wc']);
});

test('builtins depend on the shell; functions the script defines are not programs, their bodies are', () => {
  const script = 'mkdirs() { mkdir -p "$@"; }\nmkdirs a b\nlocal x=1\nlet y=2\necho hi\nprintf x\nkill 1\n';
  assert.equal(names(analyze(script, 'bash')), ['mkdir']);
  // dash has no `let`: it is an external program there.
  assert.equal(names(analyze(script, 'sh')), ['let', 'mkdir']);
  // A function defined but never seen called is still analysed.
  assert.equal(names(analyze('cleanup() { rm -f "$tmp"; }\n')), ['rm']);
});

test('exec and command run their argument; command -v does not', () => {
  assert.equal(names(analyze('exec gs -q "$@"')), ['gs']);
  assert.equal(names(analyze('command ls -l')), ['ls']);
  assert.equal(names(analyze('if command -v curl >/dev/null; then :; fi')), []);
  assert.equal(names(analyze('exec >/dev/null 2>&1')), []);
  // exec runs the program of that name, never the builtin (tzselect's `exec echo`): dash and bash agree.
  assert.equal(names(analyze('exec echo "$x"')), ['echo']);
  assert.equal(names(analyze('exec printf "%s" x')), ['printf']);
  assert.equal(names(analyze('echo x; printf y')), [], 'without exec they are builtins');
  assert.equal(names(analyze('exec command ls')), ['ls']);
});

test('an interpreter chosen at run time by a function of the script: $(find_python) takes what the function echoes', () => {
  const a = analyze(`
    find_python() {
      for p in python3 python; do
        if command -v "$p" >/dev/null 2>&1; then echo "$p"; return; fi
      done
      return 1
    }
    PY=$(find_python)
    exec "$PY" "$@"
  `);
  assert.equal(names(a), ['python', 'python3']);
  const exec = a.commands.find((c) => c.name === 'python3');
  assert.equal(exec?.alternatives, ['python'], 'one of them is enough');
  // The real shell picks one of them.
  const picked = execFileSync('/bin/sh', ['-c', 'find_python() { for p in python3 python; do if command -v "$p" >/dev/null 2>&1; then echo "$p"; return; fi; done; return 1; }\nPY=$(find_python)\necho "$PY"'], {
    encoding: 'utf8',
  }).trim();
  assert.ok(['python3', 'python'].includes(picked), picked);
  // An echo inside a substitution within the function is not the function's output.
  assert.equal(names(analyze('pick() { x=$(echo ignored); echo gzip; }\nexec "$(pick)" -d')), ['gzip']);
  // A function whose output is not known stays unknown.
  assert.ok(analyze('pick() { cat /etc/tool; }\nexec "$(pick)"').warnings.length > 0);
});

test('a file sourced only under a condition is marked so; one sourced always is not', () => {
  const a = analyze(`
    [ -f ./cscope.rc ] && . ./cscope.rc
    test -r /etc/mavenrc || true
    if [ -r /etc/mavenrc ]; then . /etc/mavenrc; fi
    . /usr/lib/x/lib.sh
  `);
  assert.equal(
    a.files.map((f) => `${f.path} ${f.conditional ? 'conditional' : 'always'}`),
    ['./cscope.rc conditional', '/etc/mavenrc conditional', '/usr/lib/x/lib.sh always'],
  );
});

test('programs that run their arguments: env, timeout, nice, nohup, xargs, stdbuf, ionice, setsid, chroot, time, busybox', () => {
  const a = analyze(`
    env -i LANG=C sort f
    env -S "uniq -c"
    timeout -s KILL 10 convert a b
    nice -n 5 bzip2 f
    nohup rsync a b
    find . -print0 | xargs -0 -n 10 chmod 644
    ls | xargs
    stdbuf -oL awk 1
    ionice -c 3 ionice-target
    setsid daemonish
    chroot /srv/jail /bin/jailed
    time -o t.txt make
    busybox wget http://localhost/
  `);
  assert.equal(names(a), [
    '/bin/jailed',
    'awk',
    'busybox',
    'bzip2',
    'chmod',
    'chroot',
    'convert',
    'daemonish',
    'echo',
    'env',
    'find',
    'ionice',
    'ionice-target',
    'ls',
    'make',
    'nice',
    'nohup',
    'rsync',
    'setsid',
    'sort',
    'stdbuf',
    'time',
    'timeout',
    'uniq',
    'xargs',
  ]);
  assert.ok(!names(a).includes('wget'), 'a busybox applet runs inside busybox');
});

test('sh -c, eval, trap and . are followed', () => {
  const a = analyze(`
    sh -c 'sed -n 1p f | cut -c1'
    eval "stat f"
    trap 'rm -f "$tmp"; logger done' EXIT
    . /usr/lib/x/lib.sh
    helper
    "$LIBVAR" '{print}'
  `);
  assert.equal(names(a), ['/usr/bin/awk', 'cut', 'logger', 'rm', 'sed', 'sh', 'stat']);
  assert.equal(
    a.files.map((f) => `${f.how} ${f.path} line ${f.line}`),
    ['source /usr/lib/x/lib.sh line 5'],
  );
});

test('constants: assignments, ${VAR:-default}, "$(dirname "$0")/x", `dirname \\"$0\\"`, ${0%/*}, concatenation', () => {
  const a = analyze(
    [
      'GS_EXECUTABLE=gs',
      'exec "$GS_EXECUTABLE" -q',
      'exec "${PAGER:-less}" f',
      'exec "$(dirname "$0")/ps2pdfwr" x',
      'p="`dirname \\"$0\\"`/ps2pdf$version"',
      'version=14',
      'exec "`dirname \\"$0\\"`/ps2pdf$version"',
      'exec "${0%/*}/helper-${version}"',
      'tool=$(readlink -f /usr/local/bin/tool); exec "$(dirname "$tool")/../share/run"',
      'name=conv; name="${name}ert"; exec "$name"',
    ].join('\n'),
    'sh',
    '/usr/bin/ps2pdf',
  );
  assert.equal(names(a), ['/opt/tool/bin/../share/run', '/usr/bin/helper-14', '/usr/bin/ps2pdf14', '/usr/bin/ps2pdfwr', 'convert', 'dirname', 'gs', 'less', 'readlink']);
  assert.equal(a.warnings, []);
});

test('the script\'s folder through sed: bindir=`echo "$0" | sed -e \'s,[^/]*$,,\'`; exec "${bindir}"ed (ed\'s red); other sed scripts stay unknown', () => {
  const a = analyze(
    [
      'bindir=`echo "$0" | sed -e \'s,[^/]*$,,\'`',
      'exec "${bindir}"ed --restricted "$@"',
      'top=$(echo "$0" | sed \'s|/bin/[^/]*$||\')',
      'exec "$top/libexec/helper"',
      'odd=$(echo "$0" | sed \'s/\\(x\\)/\\1/\')',
      'exec "$odd/never"',
    ].join('\n'),
    'sh',
    '/usr/bin/red',
  );
  assert.equal(names(a), ['/usr/bin/ed', '/usr/libexec/helper', 'sed']);
});

test('function calls bind their arguments: Run() { "$@"; }; Run ${PAGER:-pager} "$@" runs pager; $1 inside is the first argument; each call with other arguments is followed', () => {
  const a = analyze(
    ['Run()', '{', '\t"$@"', '\tret=$?', '}', 'start() { exec "$1" --serve; }', 'Run ${PAGER:-pager} "$@" ||', 'Run more "$@"', 'start /usr/sbin/httpd', 'start lighttpd'].join('\n'),
    'sh',
    '/usr/bin/sensible-pager',
  );
  assert.equal(names(a), ['/usr/sbin/httpd', 'lighttpd', 'more', 'pager']);
  assert.equal(a.warnings, []);
});

test('branches give alternatives: x=gs; test -x ./gs && x=$(dirname "$0")/gs; exec "$x"', () => {
  const a = analyze('x=gs\nif test -x "$(dirname "$0")/gs"; then x="$(dirname "$0")/gs"; fi\nexec "$x"\n', 'sh', '/opt/bin/wrap');
  const uses = a.commands.filter((c) => c.how === 'exec');
  assert.equal(uses.map((u) => u.name).sort(), ['/opt/bin/gs', 'gs']);
  assert.ok(uses.every((u) => u.alternatives.length === 1));
});

test('the PATH the script sets is the one its commands are looked up in', () => {
  const a = analyze('PATH=/opt/app/bin:$PATH\nexport PATH\napp-run x\n');
  const use = a.commands.find((c) => c.name === 'app-run');
  assert.is(use?.path, '/opt/app/bin:/usr/bin:/bin');
});

test('what cannot be known is a warning with file and line, never dropped', () => {
  const a = analyze('#!/bin/sh\necho start\n"$1" --version\n$(cat /etc/cmd) run\nexec "$HANDLER"\n');
  assert.equal(
    a.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`),
    ['/usr/bin/script:3: command name not known statically: "$1"', '/usr/bin/script:4: command name not known statically: $(...)', '/usr/bin/script:5: command run by exec not known statically: "$HANDLER"'],
  );
  assert.ok(names(a).includes('cat'), 'the command inside the substitution is still needed');
});

test('a polyglot (sh first line, exec, then Python) parses up to the exec', () => {
  const a = analyze(`#!/bin/sh\n'''exec' "$(dirname -- "$(realpath -- "$0")")/python3.12" "$0" "$@"\n' '''\nimport sys\nif __name__ == '__main__':\n    sys.exit(main())\n`, 'sh', '/usr/local/bin/tool');
  assert.is(a.parseError, undefined);
  assert.equal(names(a), ['/opt/tool/bin/python3.12', 'dirname', 'realpath']);
});

test('a script that cannot be parsed says where', () => {
  const a = analyze('if then fi (((\n');
  assert.match(a.parseError ?? '', /^\/usr\/bin\/script:1:\d+: /);
});

test('mvdan-sh operator numbers are the ones pinned in shell-parse.ts', () => {
  const parsed = parseShell('echo ${a:-b} ${a-b} ${0%/*} ${0##*/} ${a:=c}; a && b || c | d', 'x');
  assert.ok(!('error' in parsed));
  const ops: number[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const exp = o.Exp as { Op?: number } | null | undefined;
    if (exp && typeof exp.Op === 'number') ops.push(exp.Op);
  };
  // The copy of mvdan-sh that parsed the tree walks it (each copy knows only its own node types).
  syntaxModule().Walk((parsed as { file: Node }).file, (n) => {
    walk(n);
    return true;
  });
  assert.equal(ops, [71, 70, 76, 79, 75]);
});

test('an argument that is one known absolute path under /usr is a file the program is told to read (musl-gcc -specs); globs, .., folders, other places and unknown values are not', () => {
  const a = analyze(['#!/bin/sh', 'specs=/usr/lib/musl/musl-gcc.specs', 'exec "${REALGCC:-gcc}" "$@" -specs "$specs" /usr/share/x/*.conf /usr/share/a/../b /usr/share/dir/ /etc/passwd "$unknown"'].join('\n'));
  assert.equal(
    a.files.filter((f) => f.how === 'named').map((f) => [f.path, f.line]),
    [['/usr/lib/musl/musl-gcc.specs', 3]],
  );
});

test.run();
