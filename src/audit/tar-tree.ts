import type { JailEntry } from '../model/jail-entry.js';
import { dirnameInside } from '../rootfs/inside-path.js';
import { sortBytewise } from '../rootfs/rootfs.js';
import type { Finding } from './finding.js';

/**
 * Makes a tarball's members a tree: a member below a symbolic link of the archive is left out and
 * reported (unpacking it writes wherever the link points: the classic escape), so is one below a
 * file; folders an archive does not list are added as tar would create them (0755, root), and so is
 * the root. Parents sort before their children, so one pass in bytewise order settles every path.
 */
export function settleTree(members: JailEntry[], findings: Finding[]): JailEntry[] {
  const byPath = new Map<string, JailEntry>();
  const listed = new Set(members.map((m) => m.path));
  const implied = (path: string): JailEntry => ({ path, kind: 'directory', mode: 0o755, uid: 0, gid: 0, reasons: [{ kind: 'implied-folder' }] });
  byPath.set('/', members.find((m) => m.path === '/') ?? implied('/'));
  for (const m of sortBytewise([...members], (member) => member.path)) {
    if (m.path === '/') continue;
    const dir = dirnameInside(m.path);
    const parent = byPath.get(dir);
    if (parent === undefined) {
      // Its own parent was left out (below a link or a file): reported there, left out here too.
      if (listed.has(dir)) continue;
      const chain: string[] = [];
      for (let d = dir; d !== '/' && !byPath.has(d); d = dirnameInside(d)) chain.push(d);
      const top = byPath.get(dirnameInside(chain[chain.length - 1] ?? '/'));
      if (top && top.kind !== 'directory') {
        report(m, top, findings);
        continue;
      }
      for (const d of chain.reverse()) byPath.set(d, implied(d));
    } else if (parent.kind !== 'directory') {
      report(m, parent, findings);
      continue;
    }
    byPath.set(m.path, m);
  }
  return [...byPath.values()];
}

function report(m: JailEntry, blocker: JailEntry, findings: Finding[]): void {
  if (blocker.kind === 'symlink') {
    findings.push({ rule: 'tar-path-through-link', severity: 'high', path: m.path, message: `${m.path}: below ${blocker.path} -> ${blocker.target}, a link of the archive: unpacking writes through the link; left out` });
  } else {
    findings.push({ rule: 'tar-parent-not-directory', severity: 'medium', path: m.path, message: `${m.path}: below ${blocker.path}, which is a ${blocker.kind}; left out` });
  }
}
