import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const top = fileURLToPath(new URL('../../../', import.meta.url));
const url = (...parts: string[]): string => JSON.stringify(pathToFileURL(join(top, 'dist', 'src', ...parts)).href);

/**
 * Runs `body` in a Node process of its own (V8's flags are the process's: the other tests run under
 * the defaults). `accepted()` tells whether V8 takes the shell parser's code cache compiled straight,
 * which it does only under the flags the cache was made with: V8's defaults.
 */
function inProcess(body: string): Record<string, unknown> {
  const script = `
    import vm from 'node:vm';
    import { readFileSync } from 'node:fs';
    import { keepYoungGenerationSmall, letYoungGenerationGrowWhenDue, youngGenerationKeptSmall } from ${url('io', 'young-generation.js')};
    import { SHELL_PARSER_CACHE, shellParserFile } from ${url('script', 'shell-parse.js')};
    const accepted = () => {
      const source = readFileSync(shellParserFile(), 'utf8');
      const wrapped = '(function (exports, require, module, __filename, __dirname) {' + source + '\\n})';
      return !new vm.Script(wrapped, { filename: shellParserFile(), cachedData: readFileSync(SHELL_PARSER_CACHE).subarray(8 + 64) }).cachedDataRejected;
    };
    const seen = {};
    ${body}
    console.log(JSON.stringify(seen));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

test('the young generation is kept small for its CPU time only, then V8 is back to its defaults (a synchronous run looks for itself)', () => {
  const seen = inProcess(`
    seen.before = [youngGenerationKeptSmall(), accepted()];
    keepYoungGenerationSmall(200);
    letYoungGenerationGrowWhenDue();
    seen.during = [youngGenerationKeptSmall(), accepted()];
    // 250 ms of this process's CPU time (not of the clock: on a busy machine the clock runs ahead).
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const until = cpu() + 250;
    while (cpu() < until);
    letYoungGenerationGrowWhenDue();
    seen.after = [youngGenerationKeptSmall(), accepted()];
  `);
  assert.equal(seen, { before: [false, true], during: [true, false], after: [false, true] });
});

test('a run that waits for I/O gets its young generation back to the default by the timer, once it has worked its time', () => {
  const seen = inProcess(`
    // Work is CPU time, not time on the clock (on a busy machine the clock runs ahead of it).
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const work = (ms) => { const until = cpu() + ms; while (cpu() < until); };
    const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    keepYoungGenerationSmall(100);
    await wait(200);
    // Waiting is no work: still small.
    seen.idle = youngGenerationKeptSmall();
    for (let i = 0; i < 10; i++) {
      work(20);
      await wait(20);
    }
    await wait(150);
    seen.after = [youngGenerationKeptSmall(), accepted()];
  `);
  assert.equal(seen, { idle: true, after: [false, true] });
});

test('the timer does not keep a process alive', () => {
  const started = Date.now();
  const seen = inProcess(`keepYoungGenerationSmall(60000); seen.ok = true;`);
  assert.equal(seen, { ok: true });
  assert.ok(Date.now() - started < 30000, 'the process ended without waiting for the timer');
});

test.run();
