import { modeString, type JailEntry } from '../../model/jail-entry.js';
import type { Finding } from '../finding.js';
import type { Inventory } from '../inventory.js';

/** What should be at a path: from a profile's plan or a manifest. */
export interface Expected extends Pick<JailEntry, 'path' | 'kind' | 'mode' | 'uid' | 'gid' | 'size' | 'target' | 'major' | 'minor'> {
  /** sha256 of the bytes that should be there, computed only when sizes agree. */
  sha256?: () => string | undefined;
}

/**
 * Differences between what should be in the jail and what is: entries missing or extra, changed in
 * kind, link target, device, contents (size first, then sha256), mode or owner. `from` names where
 * the expectation comes from ("the profile", "the manifest").
 */
export function checkDrift(expected: Expected[], inv: Inventory, from: string): Finding[] {
  const out: Finding[] = [];
  const have = new Map(inv.entries.map((e) => [e.path, e]));
  const want = new Map(expected.map((e) => [e.path, e]));
  const push = (rule: string, path: string, message: string): void => void out.push({ rule, severity: 'medium', path, message });

  for (const w of expected) {
    const h = have.get(w.path);
    if (!h) {
      push('drift-missing', w.path, `${w.path}: ${from} has a ${w.kind} here; the jail has nothing`);
      continue;
    }
    if (h.kind !== w.kind) {
      push('drift-changed', w.path, `${w.path}: a ${h.kind} in the jail, a ${w.kind} in ${from}`);
      continue;
    }
    if (w.kind === 'symlink' && h.target !== w.target) push('drift-changed', w.path, `${w.path}: links to ${h.target}, ${from} to ${w.target}`);
    if ((w.kind === 'char' || w.kind === 'block') && (h.major !== w.major || h.minor !== w.minor)) {
      push('drift-changed', w.path, `${w.path}: device ${h.major},${h.minor}, ${from} ${w.major},${w.minor}`);
    }
    if (w.kind === 'file') {
      if (w.size !== undefined && h.size !== w.size) push('drift-content', w.path, `${w.path}: ${h.size} bytes, ${from} ${w.size} bytes`);
      else if (w.sha256 && !inv.unreadable.has(w.path)) {
        const a = inv.sha256(w.path);
        const b = w.sha256();
        if (a !== undefined && b !== undefined && a !== b) push('drift-content', w.path, `${w.path}: contents differ from ${from} (sha256 ${a.slice(0, 12)}…, expected ${b.slice(0, 12)}…)`);
      }
    }
    if (w.kind !== 'symlink' && h.mode !== w.mode) push('drift-mode', w.path, `${w.path}: ${modeString(h)}, ${from} ${modeString(w)}`);
    if (w.kind !== 'symlink' && (h.uid !== w.uid || h.gid !== w.gid)) push('drift-owner', w.path, `${w.path}: owned by ${h.uid}:${h.gid}, ${from} ${w.uid}:${w.gid}`);
  }
  for (const h of inv.entries) {
    if (!want.has(h.path)) push('drift-extra', h.path, `${h.path}: a ${h.kind} that ${from} does not have`);
  }
  return out;
}
