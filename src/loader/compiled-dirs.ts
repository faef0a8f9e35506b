/**
 * The default folders compiled into a glibc loader. glibc keeps them as one constant (elf/dl-load.c's
 * `system_dirs`, generated from the slibdir/libdir it was built with): folder names that end in `/`,
 * each followed by a NUL, one after the other. `ld.so --help` prints the same list as "system search
 * path". Reading it from the loader itself is what tells a Debian loader installed as a regular file
 * at /lib64 (which still searches /lib/x86_64-linux-gnu) from a Fedora one (which searches /lib64).
 */
const ENTRY = /^\/(?:usr\/)?lib[\w.+-]*(?:\/[\w.+-]+)*\/$/;

/** The folders (without their trailing `/`), or null when the bytes hold no such list. */
export function compiledSystemDirs(loader: Buffer): string[] | null {
  // latin1 keeps one character per byte. Split on NUL and look for consecutive folder entries: each
  // piece is tested on its own, so the work stays linear in the size of the file.
  const pieces = loader.toString('latin1').split('\0');
  for (let i = 0; i < pieces.length; i++) {
    let j = i;
    while (j < pieces.length && (pieces[j] as string).length <= 256 && ENTRY.test(pieces[j] as string)) j++;
    if (j - i >= 2) {
      const dirs = pieces.slice(i, j).map((d) => d.replace(/\/+$/, ''));
      // The list always holds the plain lib folders; a run without them is some other string table.
      if (dirs.some((d) => d === '/lib' || d === '/usr/lib' || d === '/lib64' || d === '/usr/lib64')) return dirs;
    }
    i = Math.max(i, j);
  }
  return null;
}
