import { knownSecretPath } from '../../rootfs/host-private.js';
import { readAccountLines } from '../account-lines.js';
import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');
const MARKER = Buffer.from('PRIVATE KEY-----');
/**
 * A PEM private key: the BEGIN line, optional RFC 1421 headers (Proc-Type, DEK-Info), then base64.
 * Requiring the base64 keeps out programs that only mention the header (libgnutls holds the string).
 */
const PEM_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----\r?\n(?:[A-Za-z-]+: ?[^\n]*\r?\n)*(?:\r?\n)?[A-Za-z0-9+/=]{16,}/;
/** Password fields that hold no hash: none set, locked, or kept elsewhere. */
const NO_HASH = /^(?:x|\*+|!+|!\*|\*LK\*|NP)?$/;

/**
 * Secrets a jail should never hold: password hashes (crackable offline by whoever reads them) in
 * shadow, gshadow or passwd, empty passwords, and PEM private keys in any file.
 */
export function checkSecrets(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const e of ctx.inv.entries) {
    if (e.kind !== 'file') continue;
    const known = knownSecretPath(e.path);
    if (known !== null) out.push({ rule: 'secret-file', severity: 'high', path: e.path, message: `${e.path}: ${known}, which a jail never needs: whoever reads the jail has it` });
    else if (ctx.declaredSecrets.has(e.path))
      out.push({ rule: 'secret-file', severity: 'medium', path: e.path, message: `${e.path}: a file the host keeps from others, copied on purpose ("secret": true): whoever can read it in the jail has it` });
  }
  for (const file of ['/etc/shadow', '/etc/gshadow', '/etc/passwd'] as const) {
    for (const { number, fields } of readAccountLines(ctx, file) ?? []) {
      if (fields.length < 2) continue;
      const value = fields[1] as string;
      const name = fields[0] as string;
      // A locked account ("!" before the hash) still carries a crackable hash.
      const hash = value.replace(/^!+/, '');
      if (value === '' && file !== '/etc/gshadow') {
        out.push({ rule: 'empty-password', severity: 'medium', path: file, message: `${file}:${number}: ${name} has an empty password field: no password is asked` });
      } else if (!NO_HASH.test(value) && hash.length >= 2) {
        out.push({ rule: 'secret-password-hash', severity: 'high', path: file, message: `${file}:${number}: ${name} has a password hash; a jail needs none (use x and no shadow file)` });
      }
    }
  }
  for (const e of ctx.inv.entries) {
    if (e.kind !== 'file') continue;
    const bytes = ctx.inv.read(e.path);
    if (!bytes || bytes.subarray(0, 4).equals(ELF_MAGIC) || !bytes.includes(MARKER)) continue;
    const m = PEM_KEY.exec(bytes.toString('latin1'));
    if (m) out.push({ rule: 'secret-private-key', severity: 'high', path: e.path, message: `${e.path}: holds a ${m[1] ?? ''}PRIVATE KEY (PEM): anyone who can read the jail can take it` });
  }
  return out;
}
