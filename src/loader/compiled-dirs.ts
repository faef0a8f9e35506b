/**
 * The default folders compiled into a glibc loader. glibc keeps them as one constant (elf/dl-load.c's
 * `system_dirs`, generated from the slibdir/libdir it was built with): folder names that end in `/`,
 * each followed by a NUL, one after the other. `ld.so --help` prints the same list as "system search
 * path". Reading it from the loader itself is what tells a Debian loader installed as a regular file
 * at /lib64 (which still searches /lib/x86_64-linux-gnu) from a Fedora one (which searches /lib64).
 */
const RUN = /(?:\/(?:usr\/)?lib[A-Za-z0-9_.+/-]*\/\0){2,}/;

/** The folders (without their trailing `/`), or null when the bytes hold no such list. */
export function compiledSystemDirs(loader: Buffer): string[] | null {
  // latin1 keeps one character per byte, so the pattern sees the bytes as they are.
  const text = loader.toString('latin1');
  const m = RUN.exec(text);
  if (!m) return null;
  const dirs = m[0]
    .split('\0')
    .filter((d) => d !== '')
    .map((d) => d.replace(/\/+$/, ''));
  // The list always ends with the plain lib folders; a run without them is some other string table.
  return dirs.some((d) => d === '/lib' || d === '/usr/lib' || d === '/lib64' || d === '/usr/lib64') ? dirs : null;
}
