import { joinInside } from '../rootfs/inside-path.js';
import { accountFiles } from './accounts.js';
import type { PlanContext } from './plan-context.js';

/**
 * Places what a profile writes out itself rather than copies: `contents`, `symlinks`, `directories`,
 * `devices`, the accounts (/etc/passwd and /etc/group) and the mount points of its `mounts`.
 */
export function placeLiterals(ctx: PlanContext): void {
  const { profile: p, builder } = ctx;
  for (const c of p.contents) {
    builder.add({ path: joinInside('/', c.path), kind: 'file', mode: 0o644, content: Buffer.from(c.text, 'utf8'), size: Buffer.byteLength(c.text), reason: ctx.asked(c.origin), ...ctx.overrides(c, c.origin) });
  }
  for (const l of p.symlinks) builder.add({ path: joinInside('/', l.path), kind: 'symlink', mode: 0o777, target: l.target, reason: ctx.asked(l.origin) });
  for (const d of p.directories) {
    const st = ctx.statsOf(d.path);
    builder.add({ path: joinInside('/', d.path), kind: 'directory', mode: st?.isDirectory() ? st.mode & 0o7777 : 0o755, reason: ctx.asked(d.origin), ...ctx.overrides(d, d.origin) });
  }
  for (const d of p.devices) {
    builder.add({ path: joinInside('/', d.path), kind: d.type, major: d.major, minor: d.minor, mode: parseInt(d.mode ?? '0666', 8), exactMode: true, reason: ctx.asked(d.origin), ...ctx.overrides(d, d.origin) });
  }
  const accounts = accountFiles(p);
  if (accounts) {
    const reason = { kind: 'generated' as const, detail: 'users and groups of the profile' };
    builder.add({ path: '/etc/passwd', kind: 'file', mode: 0o644, content: Buffer.from(accounts.passwd), size: accounts.passwd.length, reason });
    builder.add({ path: '/etc/group', kind: 'file', mode: 0o644, content: Buffer.from(accounts.group), size: accounts.group.length, reason });
  }
  if (p.proc) builder.add({ path: '/proc', kind: 'directory', mode: 0o555, exactMode: true, reason: { kind: 'mount-point', source: 'proc' } });
  for (const m of p.mounts) builder.add({ path: joinInside('/', m.target), kind: 'directory', mode: 0o755, reason: { kind: 'mount-point', source: m.source, origin: m.origin } });
}
