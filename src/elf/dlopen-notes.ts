import type { DlopenDeclaration } from './elf-info.js';

/**
 * Decodes the descriptor of one `.note.dlopen` note: a NUL-terminated JSON array of
 * `{feature, description, priority, soname: [...]}`. Returns what is well-formed, and a problem for the rest.
 */
export function decodeDlopenNote(desc: Buffer): { declarations: DlopenDeclaration[]; problem?: string } {
  const end = desc.indexOf(0);
  const text = desc.subarray(0, end < 0 ? desc.length : end).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { declarations: [], problem: '.note.dlopen descriptor is not valid JSON' };
  }
  if (!Array.isArray(value)) return { declarations: [], problem: '.note.dlopen descriptor is not a JSON array' };
  const declarations: DlopenDeclaration[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const rec = item as Record<string, unknown>;
    const sonames = Array.isArray(rec.soname) ? rec.soname.filter((s): s is string => typeof s === 'string') : [];
    if (sonames.length === 0) continue;
    const decl: DlopenDeclaration = {
      priority: typeof rec.priority === 'string' ? rec.priority : 'recommended',
      soname: sonames,
    };
    if (typeof rec.feature === 'string') decl.feature = rec.feature;
    if (typeof rec.description === 'string') decl.description = rec.description;
    declarations.push(decl);
  }
  return { declarations };
}
