import { existsSync, readFileSync } from 'node:fs';
import { applyEdits, findNodeAtLocation, type FormattingOptions, modify, type Node as JsonNode, parseTree } from 'jsonc-parser';
import { JailError } from '../errors.js';
import { writeFileWhole } from '../io/write-whole.js';
import { parseJsonDocument } from '../profile/json-document.js';
import { type Addition, profileValue } from './profile-additions.js';

const FORMAT: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: '\n' };

/** The path (or, for mounts, the target; for devices, the name) an entry of a profile list stands for. */
function entryPath(field: string, node: JsonNode): string | undefined {
  if (node.type === 'string') return field === 'devices' ? `/dev/${String(node.value)}` : String(node.value);
  if (node.type !== 'object') return undefined;
  const key = field === 'mounts' ? 'target' : 'path';
  const v = findNodeAtLocation(node, [key]);
  if (v?.type !== 'string') return undefined;
  return field === 'devices' && !String(v.value).startsWith('/') ? `/dev/${String(v.value)}` : String(v.value);
}

/** What a profile text's lists hold already, as `field\0path` keys (see additionKey). */
export function presentInText(text: string): Set<string> {
  const out = new Set<string>();
  const tree = parseTree(text);
  if (!tree) return out;
  for (const prop of tree.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    const field = keyNode?.value as string | undefined;
    if (field === undefined || !valueNode) continue;
    if (field === 'proc' && valueNode.value === true) out.add('proc\0/proc');
    if (valueNode.type !== 'array') continue;
    for (const item of valueNode.children ?? []) {
      const path = entryPath(field, item);
      if (path !== undefined) out.add(`${field}\0${path}`);
    }
  }
  return out;
}

/**
 * Adds profile lines to a profile's text, keeping its comments and layout (jsonc-parser's edits):
 * each addition goes at the end of its list (the list is made when missing); `proc` is set to true.
 * Lines the text has already are skipped. Returns the new text and what was added.
 */
export function addToProfileText(text: string, additions: Addition[]): { text: string; added: Addition[] } {
  const present = presentInText(text);
  const added: Addition[] = [];
  let out = text;
  for (const a of additions) {
    const key = `${a.field}\0${a.path}`;
    if (present.has(key)) continue;
    present.add(key);
    const value = profileValue(a);
    const tree = parseTree(out);
    const list = tree ? findNodeAtLocation(tree, [a.field]) : undefined;
    let edits;
    if (a.field === 'proc') edits = modify(out, ['proc'], true, { formattingOptions: FORMAT });
    else if (list?.type === 'array') edits = modify(out, [a.field, list.children?.length ?? 0], value, { formattingOptions: FORMAT, isArrayInsertion: true });
    else edits = modify(out, [a.field], [value], { formattingOptions: FORMAT });
    out = applyEdits(out, edits);
    added.push(a);
  }
  return { text: out, added };
}

/**
 * Writes additions into the profile FILE, made when missing as `{"extends": EXTENDS}`; an existing
 * FILE must extend EXTENDS already (it is the fix file of that profile, not some other profile).
 * The file is replaced whole (a temporary file renamed), never left half-written.
 */
export function writeAdditions(file: string, extendsRef: string, additions: Addition[]): Addition[] {
  let text: string;
  if (existsSync(file)) {
    text = readFileSync(file, 'utf8');
    const doc = parseJsonDocument(text, file);
    const ext = (doc.value as { extends?: unknown }).extends;
    const list = Array.isArray(ext) ? ext : [ext];
    if (!list.includes(extendsRef)) throw new JailError('USAGE', `${file}: exists and does not extend ${extendsRef}: name a new file, or that profile's own fix file`, { file, field: '/extends' });
  } else text = `${JSON.stringify({ extends: extendsRef }, null, 2)}\n`;
  const { text: next, added } = addToProfileText(text, additions);
  if (added.length > 0 || !existsSync(file)) writeFileWhole(file, next);
  return added;
}
