/**
 * Reasons are data: `why` walks each reason's `from` back to the profile line, and the wording of
 * reasons plays no part. Checked on every shipped profile that builds here: the chain of every entry
 * is the one the former text-matching `why` found (it read the path after "needed by", "run by", ...
 * in the first reason), and rewording every kind of reason changes no chain.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whyChain, type WhyStep } from '../../src/audit/why.js';
import { writeTree } from '../../src/emit/write-tree.js';
import { describeReason, PHRASES, type Phrases, type Reason, type ReasonKind } from '../../src/model/reason.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { joinInside } from '../../src/rootfs/inside-path.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import type { SourceRoot } from '../../src/rootfs/source-root.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

const PROFILES = ['base', 'busybox', 'dns', 'ghostscript', 'https', 'php-fpm', 'strace', 'tex'];

/** The former `why`: the first reason's text, searched for the phrases that name where it came from. */
const FORMER = /(?:needed by|dlopened by|folder of|interpreter of|link on the way to|run by|read by|run by env in the #! line of) (\/[^\s,()]+)/;

function formerChain(path: string, texts: Map<string, string[]>, jail: SourceRoot): string[] {
  const steps: string[] = [];
  const real = (p: string): string => {
    if (texts.has(p)) return p;
    const found = jail.lookup(p);
    if (found.kind !== 'missing' && found.path !== p) {
      steps.push(p);
      return found.path;
    }
    return p;
  };
  let at: string | undefined = real(joinInside('/', path));
  const seen = new Set<string>();
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    steps.push(at);
    const first: string | undefined = texts.get(at)?.[0];
    if (first === undefined) break;
    const next: string | undefined = FORMER.exec(first)?.[1];
    at = next === undefined ? undefined : real(joinInside('/', next));
  }
  return steps;
}

test.after.each(cleanupTempDirs);

const pathsOf = (steps: WhyStep[]): string[] => steps.map((s) => s.path);

/** Every phrase reworded, the paths left as they are. */
const REWORDED: Phrases = Object.fromEntries((Object.keys(PHRASES) as ReasonKind[]).map((k) => [k, (r: Reason) => `[${k.toUpperCase()}] ${r.from ?? ''} ${r.name ?? ''} (reworded)`])) as Phrases;

for (const name of PROFILES) {
  test(`${name}: every entry's why chain is the former one, and rewording the reasons changes none`, async () => {
    const profile = loadProfile(name);
    const plan = buildPlan(profile);
    const jail = join(tempDir('jailbuild-why-'), 'jail');
    await writeTree(plan.entries, new RootFs(profile.root), jail, { mtime: 0 });
    const fs = new RootFs(jail);
    const reasons = new Map(plan.entries.map((e) => [e.path, e.reasons]));
    const texts = new Map(plan.entries.map((e) => [e.path, e.reasons.map((r) => describeReason(r))]));
    const reworded = new Map(plan.entries.map((e) => [e.path, e.reasons.map((r) => describeReason(r, REWORDED))]));
    let longest = 0;
    let formerBroken = 0;
    for (const e of plan.entries) {
      const now = whyChain(e.path, reasons, fs);
      assert.equal(pathsOf(now.steps), formerChain(e.path, texts, fs), `${name}: ${e.path}`);
      const again = whyChain(e.path, reasons, fs, REWORDED);
      assert.equal(pathsOf(again.steps), pathsOf(now.steps), `${name}: ${e.path}, reworded`);
      assert.ok(
        again.chain.every((line, i) => i >= now.chain.length || line.startsWith(now.chain[i]?.split(':')[0] ?? '')),
        'the reworded chain names the same paths',
      );
      longest = Math.max(longest, now.steps.length);
      if (formerChain(e.path, reworded, fs).length !== now.steps.length) formerBroken++;
    }
    assert.ok(longest >= 2 || name === 'base', `${name}: some chains go through other entries`);
    console.log(`  ${name}: ${plan.entries.length} chains as before (longest ${longest} steps); the former text matching would break ${formerBroken} of them once reworded`);
  });
}

test.run();
