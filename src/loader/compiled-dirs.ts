/**
 * The default folders compiled into a glibc loader. glibc keeps them as one constant (elf/dl-load.c's
 * `system_dirs`, generated from the slibdir/libdir it was built with): folder names that end in `/`,
 * each followed by a NUL, one after the other. `ld.so --help` prints the same list as "system search
 * path". Reading it from the loader itself is what tells a Debian loader installed as a regular file
 * at /lib64 (which still searches /lib/x86_64-linux-gnu) from a Fedora one (which searches /lib64).
 */
const ENTRY = /^\/(?:usr\/)?lib[\w.+-]*(?:\/[\w.+-]+)*\/$/;

/** The plain lib folders, one of which every such list holds, as they appear between NULs. */
const ANCHORS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64'].flatMap((d) => [Buffer.from(`\0${d}\0`), Buffer.from(`\0${d}/\0`)]);

/** The folders (without their trailing `/`), or null when the bytes hold no such list. */
export function compiledSystemDirs(loader: Buffer): string[] | null {
  // A loader is about 200 kB; splitting all of it into strings was most of the time. Instead each
  // place a plain lib folder stands alone between NULs is found with indexOf, and the run of folder
  // entries around it is read piece by piece (each piece at most 256 bytes, so the work stays linear).
  let best: { start: number; dirs: string[] } | null = null;
  for (const anchor of ANCHORS) {
    for (let at = loader.indexOf(anchor); at !== -1; at = loader.indexOf(anchor, at + 1)) {
      const run = runAround(loader, at + 1);
      if (run && (!best || run.start < best.start)) best = run;
      if (run) break;
    }
  }
  return best ? best.dirs : null;
}

/** The NUL-separated folder entries next to each other around the entry that starts at `at`. */
function runAround(bytes: Buffer, at: number): { start: number; dirs: string[] } | null {
  const pieceAt = (start: number): string | null => {
    const end = bytes.indexOf(0, start);
    if (end === -1 || end - start > 256) return null;
    const piece = bytes.toString('latin1', start, end);
    return ENTRY.test(piece) ? piece : null;
  };
  const first = pieceAt(at);
  if (first === null) return null;
  const dirs = [first];
  let start = at;
  // Backwards: the piece before ends at start - 1 (a NUL) and begins after the NUL before it.
  while (start > 1) {
    const prevEnd = start - 1;
    const from = Math.max(0, prevEnd - 257);
    const nul = bytes.lastIndexOf(0, prevEnd - 1);
    if (nul < from) break;
    const piece = pieceAt(nul + 1);
    if (piece === null || nul + 1 + piece.length !== prevEnd) break;
    dirs.unshift(piece);
    start = nul + 1;
  }
  for (let next = at + first.length + 1; ;) {
    const piece = pieceAt(next);
    if (piece === null) break;
    dirs.push(piece);
    next += piece.length + 1;
  }
  return dirs.length >= 2 ? { start, dirs: dirs.map((d) => d.replace(/\/+$/, '')) } : null;
}
