import { JailError } from '../errors.js';
import { PackageIndex } from '../packages/package-index.js';
import type { PlanContext } from './plan-context.js';
import { placePackage } from './place-packages.js';

/**
 * Runtimes whose programs find their files from where they live rather than through the loader: a
 * Java runtime (`/usr/lib/jvm/NAME`) loads `lib/libjava.so`, `lib/modules` and the rest by paths it
 * computes from its own location, which no ELF header names. `home` is the runtime's folder; `core`
 * names files the runtime cannot start without, whose packages come with any of its programs.
 */
const RUNTIMES: Array<{ home: RegExp; what: string; core: string[] }> = [{ home: /^(\/usr\/lib\/jvm\/[^/]+)\/(?:bin|lib)\//, what: 'the Java runtime', core: ['lib/modules', 'lib/libjava.so'] }];

/** The runtime folder a file of a program's closure lives in, if it is one of RUNTIMES. */
export function runtimeHomeOf(path: string): string | undefined {
  for (const r of RUNTIMES) {
    const m = r.home.exec(path);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Brings the runtimes the programs run from: the packages that ship the runtime's core files and the
 * program's own file (docs left out, links kept, every program and library among them resolved), as
 * a profile's `packages` would. Without a package database the runtime cannot be known: a warning
 * says what to add.
 */
export function placeRuntimes(ctx: PlanContext): void {
  if (ctx.runtimeHomes.size === 0) return;
  let index: PackageIndex | undefined;
  try {
    index = PackageIndex.ofDpkg(ctx.fs);
  } catch (err) {
    if (!(err instanceof JailError)) throw err;
  }
  for (const [home, { origin, program }] of ctx.runtimeHomes) {
    const runtime = RUNTIMES.find((r) => r.home.test(`${home}/bin/`)) as (typeof RUNTIMES)[number];
    const packages = new Set<string>();
    for (const path of [program, ...runtime.core.map((c) => `${home}/${c}`)]) {
      const real = ctx.fs.lookup(path);
      for (const p of real.kind === 'file' ? (index?.ownersOf(real.path) ?? []) : []) packages.add(p);
    }
    if (packages.size === 0) {
      ctx.diagnostics.push({ code: 'RUNTIME_UNKNOWN', severity: 'warning', path: home, message: `${program} runs from ${runtime.what} in ${home}, which no package of the root's database ships: add ${home} as a tree` });
      continue;
    }
    for (const name of [...packages].sort()) {
      placePackage(ctx, { name, origin, because: `${runtime.what} ${program} runs from (${home})` }, name, index?.pathsOf(name) ?? []);
    }
  }
}
