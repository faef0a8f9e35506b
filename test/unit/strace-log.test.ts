/**
 * Reading strace's output (src/jailtest/strace-log.ts) from traces written in the test, line for
 * line as strace 6 prints them with -ff -y: paths made absolute through the descriptors -y names,
 * the jail's prefix taken off, the runner's own calls before chroot() left out, each access knowing
 * the program its process ran (inherited over fork until an exec of its own).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCString, parseProcessTrace, readTrace, straceArgs } from '../../src/jailtest/strace-log.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

test('decodeCString: escapes and octal bytes (UTF-8 as strace prints it) come back as text', () => {
  assert.is(decodeCString('a\\"b\\\\c\\n'), 'a"b\\c\n');
  assert.is(decodeCString('caf\\303\\251'), 'café');
  assert.is(decodeCString('\\x41B'), 'AB');
});

test('straceArgs: one file per process, descriptors named, the calls readTrace reads', () => {
  const args = straceArgs('/tmp/x/trace');
  assert.ok(args.includes('-ff') && args.includes('-y'));
  assert.is(args[args.indexOf('-o') + 1], '/tmp/x/trace');
  const calls = (args[args.indexOf('-e') + 1] as string).replace('trace=', '').split(',');
  for (const c of ['execve', 'openat', 'newfstatat', 'readlink', 'connect', 'chroot', 'clone', 'clone3']) assert.ok(calls.includes(c), c);
});

test('parseProcessTrace: absolute and *at paths, errors, kinds, writes, sockets; nothing before a successful chroot', () => {
  const jail = '/srv/jail';
  const text = [
    'openat(AT_FDCWD</root>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>',
    'chroot("/nowhere") = -1 ENOENT (No such file or directory)',
    'openat(AT_FDCWD</root>, "/etc/passwd", O_RDONLY) = 3</etc/passwd>',
    'chroot("/srv/jail") = 0',
    'execve("/bin/sh", ["/bin/sh", "-c", "x"], 0x7ffd /* 2 vars */) = 0',
    'openat(AT_FDCWD</srv/jail/tmp>, "in.txt", O_RDONLY) = 3</srv/jail/tmp/in.txt>',
    'openat(3</srv/jail/usr/share/foo>, "../bar/data", O_RDONLY) = -1 ENOENT (No such file or directory)',
    'newfstatat(AT_FDCWD</srv/jail/tmp>, "/usr/share/lilypond", 0x7ffc, 0) = -1 ENOENT (No such file or directory)',
    'newfstatat(3</srv/jail/tmp/in.txt>, "", {st_mode=S_IFREG|0644, st_size=3, ...}, AT_EMPTY_PATH) = 0',
    'openat(AT_FDCWD</srv/jail/tmp>, "out.png", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</srv/jail/tmp/out.png>',
    'openat(AT_FDCWD</srv/jail/tmp>, "/usr/share/fonts", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = -1 EACCES (Permission denied)',
    'readlink("/usr/lib/tcl8.6", 0x7ffc, 4096) = -1 ENOENT (No such file or directory)',
    'connect(3<socket:[123]>, {sa_family=AF_UNIX, sun_path="/run/mysqld/mysqld.sock"}, 110) = -1 ENOENT (No such file or directory)',
    'connect(3<socket:[124]>, {sa_family=AF_UNIX, sun_path=@"/tmp/.X11-unix/X0"}, 20) = -1 ECONNREFUSED (Connection refused)',
    'execve("/usr/bin/gs", ["gs"], 0x55 /* 2 vars */) = -1 ENOENT (No such file or directory)',
    'openat(AT_FDCWD</srv/jail/tmp>, "/etc/papersize", O_RDONLY) = -1 ENOENT (No such file or directory)',
    '+++ exited with 0 +++',
  ].join('\n');
  const { accesses } = parseProcessTrace(text, 7, jail, true);
  const seen = accesses.map((a) => `${a.kind} ${a.path}${a.errno ? ` ${a.errno}` : ''}${a.writes ? ' w' : ''} by ${a.program ?? '-'}`);
  assert.equal(seen, [
    'exec /bin/sh by -',
    'open /tmp/in.txt by /bin/sh',
    'open /usr/share/bar/data ENOENT by /bin/sh',
    'stat /usr/share/lilypond ENOENT by /bin/sh',
    'open /tmp/out.png w by /bin/sh',
    'list /usr/share/fonts EACCES by /bin/sh',
    'readlink /usr/lib/tcl8.6 ENOENT by /bin/sh',
    'connect /run/mysqld/mysqld.sock ENOENT by /bin/sh',
    'exec /usr/bin/gs ENOENT by /bin/sh',
    'open /etc/papersize ENOENT by /bin/sh',
  ]);
  assert.ok(accesses.every((a) => a.pid === 7));
});

test('readTrace: children inherit the program their parent ran when it forked them, and are inside the jail from the start', () => {
  const dir = tempDir();
  const prefix = join(dir, 'trace');
  writeFileSync(
    `${prefix}.10`,
    [
      'chroot("/srv/jail") = 0',
      'execve("/usr/bin/lilypond", ["lilypond"], 0x1 /* 1 var */) = 0',
      'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 11',
      'execve("/usr/bin/gs", ["gs"], 0x1 /* 1 var */) = 0',
      'clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88) = 12',
    ].join('\n'),
  );
  writeFileSync(`${prefix}.11`, 'openat(AT_FDCWD</srv/jail/tmp>, "/usr/share/lilypond/x.scm", O_RDONLY) = -1 ENOENT (No such file or directory)\n');
  writeFileSync(`${prefix}.12`, 'execve("/usr/bin/sh", ["sh"], 0x1 /* 1 var */) = 0\nopenat(AT_FDCWD</srv/jail/tmp>, "/etc/x", O_RDONLY) = 3</srv/jail/etc/x>\n');
  writeFileSync(`${prefix}.unrelated`, 'openat(AT_FDCWD, "/etc/y", O_RDONLY) = 3\n');
  const accesses = readTrace(prefix, '/srv/jail');
  const byPid = (pid: number): string[] => accesses.filter((a) => a.pid === pid).map((a) => `${a.path} by ${a.program ?? '-'}`);
  assert.equal(byPid(11), ['/usr/share/lilypond/x.scm by /usr/bin/lilypond']);
  assert.equal(byPid(12), ['/usr/bin/sh by /usr/bin/gs', '/etc/x by /usr/bin/sh']);
});

test('readTrace without a jail: host paths as they are, from the first line', () => {
  const dir = tempDir();
  const prefix = join(dir, 't');
  writeFileSync(`${prefix}.5`, 'execve("/usr/bin/tclsh", ["tclsh"], 0x1 /* 1 var */) = 0\nopenat(AT_FDCWD</home/me>, "t.tcl", O_RDONLY) = 3</home/me/t.tcl>\n');
  assert.equal(
    readTrace(prefix).map((a) => `${a.kind} ${a.path} ${a.program ?? '-'}`),
    ['exec /usr/bin/tclsh -', 'open /home/me/t.tcl /usr/bin/tclsh'],
  );
});

test('parseProcessTrace: names that hold quotes, ">" or a fake outcome cannot move what is read (strace 6.1 escapes them: a quote as backslash-quote, ">" in octal)', () => {
  const text = [
    // A folder named st"x>y: the path is read after its annotation, not from inside it.
    'openat(AT_FDCWD</tmp/st\\"x\\76y>, "data", O_RDONLY) = -1 ENOENT (No such file or directory)',
    // A successful open whose returned descriptor names a file called ") = -1 ENOENT (x)".
    'openat(AT_FDCWD</w>, "ok", O_RDONLY) = 3</w/) = -1 ENOENT (No such file or directory)>',
    // Flags are read before the call's closing parenthesis, never from the outcome's annotation.
    'openat(AT_FDCWD</w>, "read-only", O_RDONLY) = 4</w/O_WRONLY|O_DIRECTORY>',
    'execve("/usr/bin/x", ["x"], 0x1 /* 1 var */) = 0',
  ].join('\n');
  const seen = parseProcessTrace(text, 1, undefined, true).accesses.map((a) => `${a.kind} ${a.path} ${a.errno ?? 'ok'}${a.writes ? ' w' : ''}`);
  assert.equal(seen, ['open /tmp/st"x>y/data ENOENT', 'open /w/ok ok', 'open /w/read-only ok', 'exec /usr/bin/x ok']);
});

test.run();
