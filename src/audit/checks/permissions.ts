import { modeString } from '../../model/jail-entry.js';
import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

/**
 * Modes that hand power to whoever runs in the jail: setuid and setgid programs (a way back to the
 * owner's rights, and out of a chroot as root), files anyone may rewrite, and folders anyone may write
 * without the sticky bit (anyone may replace anyone's files there). Devices are the device check's.
 */
export function checkPermissions(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const e of ctx.inv.entries) {
    const shown = `${e.path} (${modeString(e)}, uid ${e.uid})`;
    if (e.kind === 'file') {
      if (e.mode & 0o4000) out.push({ rule: 'setuid', severity: 'high', path: e.path, message: `${shown}: setuid: runs with its owner's rights` });
      if (e.mode & 0o2000) out.push({ rule: 'setgid', severity: 'high', path: e.path, message: `${shown}: setgid: runs with its group's rights` });
      if (e.mode & 0o002) out.push({ rule: 'world-writable', severity: 'high', path: e.path, message: `${shown}: anyone in the jail may rewrite it` });
    } else if (e.kind === 'directory' && e.mode & 0o002 && !(e.mode & 0o1000)) {
      out.push({ rule: 'world-writable-dir', severity: 'high', path: e.path, message: `${shown}: anyone may write here and replace others' files (no sticky bit)` });
    }
  }
  return out;
}
