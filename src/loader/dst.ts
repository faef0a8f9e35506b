/** Values of the dynamic string tokens for one object. */
export interface DstValues {
  origin: string;
  lib: string;
  platform: string;
}

const DST = /\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g;

/**
 * Expands `$ORIGIN`, `$LIB` and `$PLATFORM` (bare or in braces) in one search-path element, as glibc's
 * _dl_dst_substitute does. Other `$` text is left as written.
 */
export function expandDst(element: string, values: DstValues): string {
  return element.replace(DST, (_m, braced: string | undefined, bare: string | undefined) => {
    const token = braced ?? bare;
    if (token === 'ORIGIN') return values.origin;
    if (token === 'LIB') return values.lib;
    return values.platform;
  });
}

/**
 * Splits a DT_RPATH/DT_RUNPATH/LD_LIBRARY_PATH value into directories (colon-separated; glibc also
 * accepts `;` in LD_LIBRARY_PATH), with tokens expanded and trailing slashes removed. An empty element
 * is the working directory and a relative one is taken from it, as glibc's fillin_rpath does: `cwd`
 * is the folder (inside the root) the program will run in.
 */
export function splitSearchPath(value: string, values: DstValues, separators = /:/, cwd = '/'): string[] {
  const out: string[] = [];
  for (const raw of value.split(separators)) {
    const expanded = raw === '' ? cwd : expandDst(raw, values);
    const dir = (expanded.startsWith('/') ? expanded : `${cwd.replace(/\/+$/, '')}/${expanded}`).replace(/\/+$/, '');
    out.push(dir === '' ? '/' : dir);
  }
  return out;
}

/** True when a search path has an element taken from the working directory (empty, or relative after expansion). */
export function dependsOnCwd(value: string, separators = /:/): boolean {
  return value.split(separators).some((raw) => raw === '' || !(raw.startsWith('/') || /^\$\{?(ORIGIN|LIB|PLATFORM)/.test(raw)));
}
