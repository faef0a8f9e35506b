/**
 * A compromised service inside a jail: programs compiled by the test (static, so they need nothing
 * from the jail) and run with chroot as an unprivileged user, the way a PHP-FPM worker runs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileTempDir } from './tmp.js';

const built = new Map<string, string>();

/** Compiles a C program statically (once per test process) and returns the binary's host path. */
export function compileStatic(name: string, source: string): string {
  const known = built.get(name);
  if (known) return known;
  const dir = fileTempDir('jailbuild-inmate-src-');
  writeFileSync(join(dir, `${name}.c`), source);
  const bin = join(dir, name);
  execFileSync('gcc', ['-static', '-O2', '-o', bin, join(dir, `${name}.c`)]);
  built.set(name, bin);
  return bin;
}

/** Puts a program into the jail (as the attacker would have, through the application) at `inside`. */
export function plant(jail: string, program: string, inside: string): void {
  const dest = join(jail, inside);
  copyFileSync(program, dest);
  chmodSync(dest, 0o755);
}

/** Starts `argv` chrooted into `jail` as uid:gid (default 33:33, Debian's www-data). */
export function startInJail(jail: string, argv: string[], user = '33:33'): ChildProcess {
  return spawn('/usr/sbin/chroot', [`--userspec=${user}`, jail, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Stops a process and waits until it is gone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGKILL');
  await closed;
}

/**
 * Keeps exchanging a folder and a link (renameat2 RENAME_EXCHANGE) as fast as it can: whoever walks
 * the folder by its path meets the link's target half of the time. Usage: swapper DIR LINK TARGET
 * FILES...: makes DIR holding FILES, LINK -> TARGET, then swaps them forever.
 */
export const SWAPPER_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 4) return 64;
  mkdir(argv[1], 0777);
  for (int i = 4; i < argc; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", argv[1], argv[i]);
    int fd = open(p, O_CREAT | O_WRONLY, 0666);
    if (fd >= 0) close(fd);
  }
  symlink(argv[3], argv[2]);
  for (;;) syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 2);
}
`;

/** Usage: exchanger A B: exchanges two existing paths (files, links, folders) forever. */
export const EXCHANGER_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 3) return 64;
  for (;;) syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 2);
}
`;

/** Usage: named NAME: names itself NAME (prctl PR_SET_NAME, as any process may) and sleeps. */
export const NAMED_SLEEPER_C = `#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 64;
  prctl(PR_SET_NAME, argv[1], 0, 0, 0);
  for (;;) pause();
}
`;

/** Usage: nester DIR N: makes DIR/d/d/d... N levels deep (relative mkdir and chdir: no path limit). */
export const NESTER_C = `#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 3 || mkdir(argv[1], 0777) || chdir(argv[1])) return 64;
  for (int i = atoi(argv[2]); i > 0; i--) if (mkdir("d", 0777) || chdir("d")) return 65;
  return 0;
}
`;

/** Usage: reader FILE: prints FILE (what a program with a file capability could read). */
export const READER_C = `#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char buf[4096];
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) if (write(1, buf, n) != n) return 2;
  return 0;
}
`;
