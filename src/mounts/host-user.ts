import { readFileSync } from 'node:fs';

/** `uid 1001 (alice)`, or `root`, or `uid 1001` when the host's /etc/passwd does not name it: for messages. */
export function describeOwner(uid: number): string {
  if (uid === 0) return 'root';
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // No names to give: the number says it all the same.
  }
  const name = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[2] === String(uid))?.[0];
  return name ? `uid ${uid} (${name})` : `uid ${uid}`;
}
