import { resolve as resolveHostPath } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { describeError, JailError, printable } from '../errors.js';
import { type Output, processOutput } from './output.js';
import { registerAudit } from './audit-command.js';
import { parseSet } from './set-option.js';

/** For bin/jailbuild.js: the CLI's heap setting (this code's own copy of the module, which the shell parser's loader consults). */
export { keepYoungGenerationSmall } from '../io/young-generation.js';

// Each command's code is loaded when that command runs: `jailbuild resolve` never loads the profile
// validator or the shell parser's 1.5 MB unless it needs them.
const load = {
  resolve: () => import('./resolve-command.js'),
  profile: () => import('./profile-command.js'),
  mount: () => import('./mount-command.js'),
  pool: () => import('./php-fpm-pool-command.js'),
  test: () => import('./test-command.js'),
  trace: () => import('./trace-command.js'),
};

/** Exit codes: 0 success, 1 something the command checks failed (missing libraries), 2 usage or input error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function buildProgram(out: Output, setCode: (code: number) => void): Command {
  const program = new Command('jailbuild')
    .description('Build, reproduce and audit chroot jails: a native ELF resolver, profiles, trees and tarballs.')
    .option('--debug', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.stderr(s) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('resolve')
    .description('List every file and link that must exist in a jail for each PATH to load, as the dynamic loader would find them.')
    .argument('<PATH...>', 'programs or libraries: absolute paths inside the root, or names looked up through PATH')
    .option('--root <DIR>', "the source root that holds the files (a sysroot, another architecture's tree)", '/')
    .option('--json', 'print one JSON object: {"binaries": [{"input", "needs", "missing", ...}]}')
    .addOption(new Option('--dlopen <LEVEL>', 'also load libraries declared in .note.dlopen up to this priority').choices(['none', 'required', 'recommended', 'suggested']).default('required'))
    .option('--ld-library-path <DIRS>', 'emulate LD_LIBRARY_PATH (colon-separated folders inside the root)')
    .option('--hwcaps <LIST>', 'supported glibc-hwcaps subfolders, best first (default: detected for the host root, none otherwise)')
    .option('--platform <NAME>', 'value of $PLATFORM (AT_PLATFORM), e.g. x86_64')
    .option('--path <DIRS>', 'PATH inside the root used to find bare program names')
    .option('--no-cache', 'neither read nor write the analysis cache (see "cacheDir" in the settings)')
    .option('--packages', "name the Debian package that owns each file (reads the root's dpkg database: about half a second more)")
    .option('--ld-so-conf-without-cache', 'in a root without /etc/ld.so.cache, also search the folders ld.so.conf names (for a root that will run ldconfig before use)')
    .option('--cwd <DIR>', 'the folder (inside the root) the programs run in, for relative search paths and needed names (default: the current directory when the root is /, else /)')
    .option('--no-known-reads', "leave out what program families are known to read or run (pg_wrapper's programs, kpathsea's texmf.cnf, ...): only what the loader and the scripts name")
    .addHelpText(
      'after',
      `
Exit status: 0 when every input resolved, 1 when a library, interpreter or input is missing or
unreadable (the others are still reported), 2 on a usage error.

Examples:
  jailbuild resolve /usr/bin/curl
  jailbuild resolve --json latex dvipng
  jailbuild resolve --root /srv/sysroot/arm64 /usr/bin/gs`,
    )
    .action(async (paths: string[], o: Record<string, string | boolean | undefined>) => {
      const { runResolve } = await load.resolve();
      const opts = {
        root: o.root as string,
        json: Boolean(o.json),
        dlopen: o.dlopen as 'none' | 'required' | 'recommended' | 'suggested',
        ...(typeof o.ldLibraryPath === 'string' ? { ldLibraryPath: o.ldLibraryPath } : {}),
        ...(typeof o.hwcaps === 'string' ? { hwcaps: o.hwcaps.split(',').filter(Boolean) } : {}),
        ...(typeof o.platform === 'string' ? { platform: o.platform } : {}),
        ...(typeof o.path === 'string' ? { path: o.path } : {}),
        useCache: o.cache !== false,
        packages: Boolean(o.packages),
        ...(o.ldSoConfWithoutCache ? { ldSoConfWithoutCache: true } : {}),
        ...(o.knownReads === false ? { knownReads: false } : {}),
        cwd: typeof o.cwd === 'string' ? resolveHostPath('/', o.cwd) : o.root === '/' ? process.cwd() : '/',
      };
      setCode(runResolve(paths, opts, out));
    });

  const setOption = (): Option => new Option('--set <NAME=VALUE>', 'set a profile variable (repeatable), e.g. --set JAILNAME=wiki').argParser((v: string, prev: Record<string, string> | undefined) => parseSet(v, prev));

  program
    .command('profile')
    .description('Build a jail tree from a profile: programs with everything they load and run, files, trees, links, folders, devices, accounts, permissions.')
    .argument('<PROFILE>', 'a profile file, or the name of a shipped or configured profile (tex, dns, https, ...)')
    .option('--out <DIR>', 'where the jail goes (default: the profile\'s "out", else ./NAME)')
    .addOption(setOption())
    .option('--root <DIR>', "the source root the files come from (default: the profile's root, else /)")
    .option('--mtime <SECONDS>', "modification time of every entry (default: SOURCE_DATE_EPOCH, else the profile's mtime, else 0)")
    .option('--tar <FILE>', 'also (or, without --out, only) write a reproducible tarball: .tar.gz/.tgz gzip, other names plain tar, - for standard output')
    .option('--oci <DIR>', 'also (or, without --out, only) write an OCI image layout whose one layer is that tarball, tagged with the profile name')
    .option('--manifest <FILE>', 'also (or, without --out, only) write a JSON manifest: every entry with mode, owner, sha256, source and reasons; - for standard output')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--jobs <N>', 'files copied at once (default: the number of CPUs, or "jobs" in the settings)')
    .option(
      '--link',
      'hard-link files from the source root instead of copying them, where the source already has the owner and mode the jail needs and is on the same file system (faster, no extra space; but the jail then shares those files: a change to one is a change to both)',
    )
    .option('--no-cache', 'neither read nor write the analysis cache')
    .option('--ld-so-conf-without-cache', 'in a root without /etc/ld.so.cache, also search the folders ld.so.conf names (for a root that will run ldconfig before use)')
    .option('--force', 'replace DIR (or the --oci folder) even when jailbuild did not build it: a jail built by an older jailbuild or restored from a backup (never a folder that holds or lies inside what the profile reads)')
    .addHelpText(
      'after',
      `
Only a folder that jailbuild built (it leaves a mark, .NAME.jailbuild.json, beside it), an empty
folder or a new path is replaced, unless --force. The tree is built beside DIR and swapped in: a failed or interrupted build leaves the previous jail
whole. Nothing is replaced while anything is mounted inside DIR (run jailbuild umount first), and the
old tree is removed without crossing file systems.

Exit status: 0 built; 1 the build failed; 2 a bad profile or usage (one line per problem, naming the
file, the line and the field; nothing is written).

Examples:
  jailbuild profile tex --out /srv/php-fpm/chroot/wiki
  jailbuild profile ./wiki.json --set JAILNAME=wiki --set WEBROOT=/srv/www/wiki
  jailbuild profile busybox --root /srv/sysroot/arm64 --out /tmp/bb
  SOURCE_DATE_EPOCH=1700000000 jailbuild profile tex --tar tex.tar.gz --manifest tex.manifest.json
  jailbuild profile base --oci ./base-oci && skopeo inspect oci:./base-oci`,
    )
    .action(async (name: string, o: Record<string, unknown>) => {
      const { runProfile } = await load.profile();
      const mtime = o.mtime === undefined ? undefined : Number(o.mtime);
      if (mtime !== undefined && !(Number.isSafeInteger(mtime) && mtime >= 0)) throw new JailError('USAGE', `--mtime ${String(o.mtime)}: expected a whole number of seconds`);
      setCode(
        await runProfile(
          name,
          {
            ...(typeof o.out === 'string' ? { out: o.out } : {}),
            ...(typeof o.tar === 'string' ? { tar: o.tar } : {}),
            ...(typeof o.oci === 'string' ? { oci: o.oci } : {}),
            ...(typeof o.manifest === 'string' ? { manifest: o.manifest } : {}),
            ...(o.set ? { set: o.set as Record<string, string> } : {}),
            ...(typeof o.root === 'string' ? { root: o.root } : {}),
            ...(mtime !== undefined ? { mtime } : {}),
            ...(o.jobs !== undefined ? { jobs: parseJobs(o.jobs) } : {}),
            link: Boolean(o.link),
            force: Boolean(o.force),
            cache: o.cache !== false,
            ...(o.ldSoConfWithoutCache ? { ldSoConfWithoutCache: true } : {}),
            json: Boolean(o.json),
            quiet: Boolean(o.quiet),
          },
          out,
        ),
      );
    });

  for (const [verb, what] of [
    ['mount', "Make the profile's bind mounts inside a built jail (read-only where the profile says)."],
    ['umount', "Remove the profile's bind mounts from a jail, then check that nothing at all is still mounted in it (exit 1 if something is): run it before destroying a jail."],
  ] as const) {
    program
      .command(verb)
      .description(what)
      .argument('<PROFILE>', 'the profile the jail was built from')
      .option('--out <DIR>', 'the jail (default: as for jailbuild profile)')
      .addOption(setOption())
      .action(async (name: string, o: Record<string, unknown>) => {
        const { runMount, runUmount } = await load.mount();
        const run = verb === 'mount' ? runMount : runUmount;
        setCode(run(name, { ...(typeof o.out === 'string' ? { out: o.out } : {}), ...(o.set ? { set: o.set as Record<string, string> } : {}) }, out));
      });
  }

  program
    .command('php-fpm-pool')
    .description('Print the PHP-FPM pool configuration that goes with a jail: user, group, socket, chroot, env[PATH], and sendmail_path quoted as mini_sendmail needs it.')
    .argument('<PROFILE>', 'the profile the jail is built from')
    .requiredOption('--name <NAME>', 'the pool name ([NAME], the socket name)')
    .option('--out <DIR>', 'the jail folder (default: as for jailbuild profile)')
    .addOption(setOption())
    .option('--socket <PATH>', "the pool's Unix socket (default /run/php/jail-NAME.sock)")
    .option('--listen-owner <USER>', 'owner of the socket: the web server (default www-data)')
    .option('--listen-group <GROUP>', 'group of the socket (default www-data)')
    .option('--listen-mode <MODE>', 'mode of the socket (default 0660)')
    .option('--prefix <DIR>', 'php-fpm prefix (default /srv/php-fpm)')
    .addOption(new Option('--pm <KIND>', 'process manager').choices(['ondemand', 'dynamic', 'static']))
    .option('--max-children <N>', 'pm.max_children (default 5)', (v: string) => wholeNumber('--max-children', v, 1, 100_000))
    .option('--handler', 'also print the Apache SetHandler and nginx fastcgi_pass lines, as comments')
    .addHelpText(
      'after',
      `
Example:
  jailbuild profile wiki.json --set POOL=wiki --out /srv/php-fpm/chroot/wiki
  jailbuild php-fpm-pool wiki.json --set POOL=wiki --name wiki --out /srv/php-fpm/chroot/wiki > /etc/php/8.2/fpm/pool.d/wiki.conf
  jailbuild mount wiki.json --set POOL=wiki --out /srv/php-fpm/chroot/wiki`,
    )
    .action(async (name: string, o: Record<string, unknown>) => {
      const { runPhpFpmPool } = await load.pool();
      const str = (k: string): Record<string, string> => (typeof o[k] === 'string' ? { [k]: o[k] } : {});
      setCode(
        runPhpFpmPool(
          name,
          {
            name: o.name as string,
            ...str('out'),
            ...str('socket'),
            ...str('listenOwner'),
            ...str('listenGroup'),
            ...str('listenMode'),
            ...str('prefix'),
            ...(o.pm ? { pm: o.pm as 'ondemand' | 'dynamic' | 'static' } : {}),
            ...(typeof o.maxChildren === 'number' ? { maxChildren: o.maxChildren } : {}),
            ...(o.set ? { set: o.set as Record<string, string> } : {}),
            handler: Boolean(o.handler),
          },
          out,
        ),
      );
    });

  program
    .command('test')
    .description(
      "Build a profile's jail and run its tests inside it: each in fresh mount, PID and network namespaces, chrooted, as the test's user. A failing test is traced with strace and explained: the profile line that adds what it looked for.",
    )
    .argument('<PROFILE>', 'a profile with "tests" (a file, or the name of a shipped or configured profile)')
    .option('--out <DIR>', 'build the jail here and keep it (a folder jailbuild built, an empty folder or a new path); default: a temporary folder, removed afterwards')
    .option('--fix <FILE>', 'write what the diagnosis finds into FILE (a profile extending PROFILE, made when missing), rebuild from it and test again, until the tests pass or a round finds nothing new')
    .option('--rounds <N>', 'at most N build-and-test rounds with --fix (default 8)', (v: string) => wholeNumber('--rounds', v, 1, 100))
    .option('--only <NAME>', 'run only this test (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option(
      '--serve <COMMAND>',
      "start this host command (sh -c, as root, outside the jail) in each test's network namespace first: a local stand-in for a server the jail talks to (repeatable)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--root <DIR>', "the source root the files come from (default: the profile's root, else /)")
    .option('--keep', 'keep the temporary jail and print where it is')
    .option('--force', 'replace --out DIR even when jailbuild did not build it')
    .addOption(setOption())
    .option('--json', 'print one JSON report: every round, test, output and diagnosis')
    .addHelpText(
      'after',
      `
Each test runs the jail's /bin/sh -c RUN as its user (default: the profile's first user, else 65534),
with only PATH, HOME=/tmp and its env, in /tmp (or its cwd), after its input files are placed; it
passes when the exit status, standard output and files are as "expect" says. Nothing of the host is
reachable but the jail: no host process, no network but the namespace's own loopback; /proc (with
"proc": true) and the profile's mounts are made in that namespace only and vanish with it.

A failing test is run again under strace (Debian package strace); every path it could not open,
run, list or reach that the source root has becomes a suggested line (a program as binaries, a file
of a package's folder as that folder's tree, /dev/NAME as devices, /proc as proc), with the owning
package; a path the jail has but the user may not read names the mode at fault.

Exit status: 0 every test passed; 1 a test failed; 2 a usage or profile error (no tests, strace
missing); 130 interrupted (every process of the tests is killed, nothing stays mounted).

--serve starts a server the tests can reach at 127.0.0.1 (the only network they have); it runs on
the host's files, as root, and dies with the test. The test should retry until it answers
(curl --retry 5 --retry-connrefused).

Examples:
  jailbuild test tex
  jailbuild test ./lilypond.json --fix ./lilypond.fixed.json
  jailbuild test ./wiki.json --set POOL=wiki --out /srv/php-fpm/chroot/wiki --json
  jailbuild test curl --serve 'openssl s_server -accept 127.0.0.1:4433 -cert srv.crt -key srv.key -www'`,
    )
    .action(async (name: string, o: Record<string, unknown>) => {
      const { runTestCommand } = await load.test();
      setCode(
        await runTestCommand(
          name,
          {
            ...(typeof o.out === 'string' ? { out: o.out } : {}),
            ...(typeof o.fix === 'string' ? { fix: o.fix } : {}),
            ...(typeof o.rounds === 'number' ? { rounds: o.rounds } : {}),
            ...(Array.isArray(o.only) ? { only: o.only as string[] } : {}),
            ...(Array.isArray(o.serve) ? { serve: o.serve as string[] } : {}),
            ...(typeof o.root === 'string' ? { root: o.root } : {}),
            ...(o.set ? { set: o.set as Record<string, string> } : {}),
            keep: Boolean(o.keep),
            force: Boolean(o.force),
            json: Boolean(o.json),
          },
          out,
        ),
      );
    });

  program
    .command('trace')
    .description('Run a working command under strace and print the profile that would hold it: the programs it ran, the files and folders it read (a package folder whole when it read several files there), devices, /proc.')
    .argument('<COMMAND...>', 'the command and its arguments (put -- before it)')
    .option('--root <DIR>', 'run it chrooted into this source root (default: on the host)')
    .option('--user <USER>', 'run it as this account: a name or uid[:gid] (default: whoever runs jailbuild); trace as the jail will run it')
    .option('--write <FILE>', 'merge the lines into this profile file, keeping its comments and layout (made as {"extends": "base"} when missing)')
    .option('--json', 'print the lines, the refusals and the count of accesses as JSON')
    .addHelpText(
      'after',
      `
The command's own output goes to standard error; the profile goes to standard output. What it
reads or writes in its working folder and /tmp is its input and output, and is left out; so are the
libraries its programs link (the profile's static resolution brings them) and the host's account
files and private files (named on standard error). Each line says why it is there:
read by lilypond during "lilypond --png x.ly".

Exit status: 0 the command succeeded; 1 it failed (the lines are printed all the same); 2 usage.

Examples:
  jailbuild trace -- lilypond --png x.ly
  jailbuild trace --user 33 --write wiki.json -- php /srv/www/wiki/cron.php
  jailbuild trace --root /srv/sysroot -- /usr/bin/convert in.png -thumbnail 64x64 out.jpg`,
    )
    .action(async (command: string[], o: Record<string, unknown>) => {
      const { runTraceCommand } = await load.trace();
      setCode(
        await runTraceCommand(
          command,
          {
            ...(typeof o.root === 'string' ? { root: o.root } : {}),
            ...(typeof o.user === 'string' ? { user: o.user } : {}),
            ...(typeof o.write === 'string' ? { write: o.write } : {}),
            json: Boolean(o.json),
          },
          out,
        ),
      );
    });

  registerAudit(program, out, setCode);

  return program;
}

function parseJobs(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new JailError('USAGE', `--jobs ${String(value)}: expected a whole number from 1 to 1024`, { field: '--jobs' });
  return n;
}

/** A whole-number option written in decimal digits, from `min` to `max`; anything else (`5x`, a newline) is a usage error naming the option. */
function wholeNumber(option: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new JailError('USAGE', `${option} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`, { field: option });
  return n;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(out, (c) => {
    code = c;
  });
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // Each problem on its own line, with what came from files escaped: no line or escape can be forged.
    const lines = err instanceof JailError && err.problems.length > 0 ? err.problems.map((p) => p.message) : describeError(err).split('\n');
    out.stderr(lines.map((l) => `jailbuild: ${printable(l, 4096)}\n`).join(''));
    if (debug && err instanceof Error && err.stack) out.stderr(err.stack + '\n');
    if (err instanceof JailError && err.code === 'INTERRUPTED') return 130;
    return err instanceof JailError && (err.code === 'USAGE' || err.code === 'INPUT') ? EXIT_USAGE : EXIT_FAILED;
  }
}
