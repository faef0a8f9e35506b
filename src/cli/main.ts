import { Command, CommanderError, Option } from 'commander';
import { describeError, JailError } from '../errors.js';
import { type Output, processOutput } from './output.js';
import { runResolve } from './resolve-command.js';

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
    .option('--root <DIR>', 'the source root that holds the files (a sysroot, another architecture\'s tree)', '/')
    .option('--json', 'print one JSON object: {"binaries": [{"input", "needs", "missing", ...}]}')
    .addOption(
      new Option('--dlopen <LEVEL>', 'also load libraries declared in .note.dlopen up to this priority')
        .choices(['none', 'required', 'recommended', 'suggested'])
        .default('required'),
    )
    .option('--ld-library-path <DIRS>', 'emulate LD_LIBRARY_PATH (colon-separated folders inside the root)')
    .option('--hwcaps <LIST>', 'supported glibc-hwcaps subfolders, best first (default: detected for the host root, none otherwise)')
    .option('--platform <NAME>', 'value of $PLATFORM (AT_PLATFORM), e.g. x86_64')
    .option('--path <DIRS>', 'PATH inside the root used to find bare program names')
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
    .action((paths: string[], o: Record<string, string | boolean | undefined>) => {
      const opts = {
        root: o.root as string,
        json: Boolean(o.json),
        dlopen: o.dlopen as 'none' | 'required' | 'recommended' | 'suggested',
        ...(typeof o.ldLibraryPath === 'string' ? { ldLibraryPath: o.ldLibraryPath } : {}),
        ...(typeof o.hwcaps === 'string' ? { hwcaps: o.hwcaps.split(',').filter(Boolean) } : {}),
        ...(typeof o.platform === 'string' ? { platform: o.platform } : {}),
        ...(typeof o.path === 'string' ? { path: o.path } : {}),
      };
      setCode(runResolve(paths, opts, out));
    });

  return program;
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
    out.stderr(`jailbuild: ${describeError(err)}\n`);
    if (debug && err instanceof Error && err.stack) out.stderr(err.stack + '\n');
    return err instanceof JailError && (err.code === 'USAGE' || err.code === 'INPUT') ? EXIT_USAGE : EXIT_FAILED;
  }
}
