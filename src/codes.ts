/**
 * Every code a diagnostic or an error carries, with what it means: the one list the README's
 * "Diagnostics" table is checked against (test/unit/codes.test.ts). A code is a promise to scripts
 * that match on it: add one here (and to the README) before using it.
 */
export const CODES = {
  // The ELF reader and the loader emulation.
  ELF_MALFORMED: "a file's headers are defective (the message names the field)",
  ELF_NOT_ELF: 'a candidate library is not an ELF file',
  ELF_UNSUPPORTED: 'an ELF file of a kind the reader does not handle',
  ELF_NOT_LOADABLE: 'an executable was found where a library was wanted',
  LINK_DANGLING: 'a link in the jail leads to nothing inside it (a copied folder whose links point outside it)',
  CWD_DEPENDENT: 'an empty or relative DT_RPATH/DT_RUNPATH entry, or a DT_NEEDED path with a slash: taken from the working directory (`--cwd`)',
  LIBRARY_WRONG_CLASS: 'musl would load a library of another class or machine first in its path, and fail: the program cannot start',
  SYMLINK_LOOP: 'more than 40 links in one lookup',
  LDCACHE_MALFORMED: "the root's ld.so.cache cannot be read; searched as the loader would without one",
  LDCONF_NO_CACHE: 'a library is in a folder ld.so.conf names, but the root has no ld.so.cache: the loader never reads ld.so.conf',
  LDCACHE_STALE: 'a library is in a folder ld.so.conf names but not in ld.so.cache',
  LDCONF_INCLUDE_LOOP: 'an ld.so.conf file includes itself; it is read once',
  ORIGIN_NEEDS_PROC: "the program's search path uses `$ORIGIN`: without the jail's own ld.so.cache listing it (a build makes one) the jail needs `/proc`",
  NOT_FOUND: 'an input is not in the root',
  // Scripts.
  INTERPRETER_MISSING: "a script's `#!` interpreter is not in the root",
  SCRIPT_UNKNOWN: 'a command, sourced file or `sh -c` text of a script is not known statically (file:line)',
  SOURCED_IF_PRESENT: 'a script sources a file only under a condition (`[ -f F ] && . F`) and the root has none: fine, noted',
  SCRIPT_PARSE: 'a shell script could not be parsed; the programs it runs are not followed',
  SCRIPT_UNREADABLE: 'a shell script is too large or unreadable; the programs it runs are not followed',
  SCRIPT_NOT_FOLLOWED: 'a script in a language other than sh, bash, Python or Perl: its interpreter is included, its modules are not',
  RUNTIME_UNKNOWN: "a program runs from a self-contained runtime (a JDK) that the root's package database does not list: add its folder as a tree",
  MODULE_REFUSED: "a module a script loads is not brought: below /proc, /sys or /dev, reached by climbing out with `..`, or owned by neither root nor the script's owner",
  MODULE_MISSING: 'a Python or Perl file imports a module the root does not have on the module path (file:line; the build goes on)',
  MODULE_UNKNOWN: 'a Python or Perl file imports a module named at run time, which no reading can know (file:line)',
  CHAIN_TOO_DEEP: 'programs running programs more than 24 levels deep',
  COMMAND_MISSING: "a command a program's script runs is not in the root (the build goes on)",
  KNOWN_READ_LIMIT: 'a folder a program family is known to read holds more than 5000 entries or 16 levels: only the first came',
  KNOWN_READ_REFUSED: "an entry of a folder a program family is known to read is left out: owned by an ordinary account (uid at or above the root's UID_MIN, 1000 on Debian), or a link that loops or leads to such a file",
  // Placing files.
  TREE_MISSING: 'a program inside a tree with "resolve" needs something the root lacks (the build goes on)',
  DANGLING_LINK: 'a link met while copying with "dereference" leads to nothing; left out',
  SPECIAL_FILE_SKIPPED: 'a device, socket or pipe inside a copied folder; left out (use "devices")',
  PRIVATE_LEFT_OUT: 'a file of a tree that the host keeps from others was left out (name it with `"secret": true` to copy it)',
  PRIVATE_NOT_READ: 'a script the host keeps from others was not read: the programs it runs are not followed',
  SETUID_REMOVED: 'a file\'s setuid or setgid bit was removed (add `"allowSetuid": true` to keep it)',
  SETUID_KEPT: 'a file keeps its setuid or setgid bit because its entry says `"allowSetuid": true`',
  // Errors that stop a command.
  PROFILE: 'a profile line asks for something the root cannot give (one line per problem; exit 2)',
  INPUT: 'a bad profile, manifest, jail or other input (exit 2)',
  USAGE: 'a bad command line (exit 2)',
  PATH_ESCAPE: 'a path climbs out of its root',
  SOURCE_CHANGED: 'a source file is no longer the file the plan saw (exit 1): run again',
  IO_ERROR: 'reading or writing failed (exit 1)',
  INTERRUPTED: 'stopped by Ctrl-C (SIGINT) or SIGTERM: what it started is killed, nothing is left mounted (exit 130)',
} as const;

export type Code = keyof typeof CODES;
