/**
 * Node.js scripts: the requests a file makes (scanJsRequires) and how they resolve in a synthetic root
 * (ProgramResolver on a `#!/usr/bin/env node` script): relative files and folders, node_modules
 * upwards, package.json `main`, `exports` with conditions and `*` patterns, `#` imports, built-ins,
 * the package.json that gives a .js file its module type, and warnings for what is not found.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgramResolver } from '../../src/resolve/program-resolver.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { scanJsRequires } from '../../src/script/js-requires.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

test('scanJsRequires: require, require.resolve, import forms, export from, dynamic import; comments skipped; __dirname joins; folder families; computed names', () => {
  const source = [
    "const a = require('./a');",
    '// require("commented-out")',
    "/* import x from 'nor-this' */",
    'const b = require.resolve("b-pkg/sub");',
    "import c from 'c-pkg';",
    "import { d } from './d.js';",
    "import './side-effect.js';",
    "export * from './e.js';",
    "const f = await import('node:fs');",
    "const g = require(require('node:path').resolve(__dirname, 'cli/entry.js'));",
    'const cmd = require(`./commands/${name}.js`);',
    'const h = require(someName);',
    'const s = \'require("inside-a-string") is not code\';',
    '',
  ].join('\n');
  const r = scanJsRequires(source);
  assert.equal(
    r.requires.map((x) => `${x.request}@${x.line}`),
    ['./a@1', 'b-pkg/sub@4', 'node:path@10', 'node:fs@9', 'c-pkg@5', './d.js@6', './side-effect.js@7', './e.js@8'],
  );
  assert.equal(r.nearby, [{ request: './cli/entry.js', line: 10 }]);
  assert.equal(
    r.families.map((f) => `${f.folder} *${f.suffix}@${f.line}`),
    ['./commands *.js@11'],
  );
  assert.equal(
    r.dynamic.map((d) => `${d.text}@${d.line}`),
    ['require(someName)@12'],
  );
});

function nodeRoot(extra: Record<string, string>): string {
  return sysroot({
    'usr/bin/node': 'not ELF',
    'usr/bin/env': 'not ELF',
    ...extra,
  });
}

test('followNodeRequires: relative files and folders, node_modules upwards, main, exports conditions and patterns, # imports, module-type package.json, built-ins, missing ones warned', () => {
  const root = nodeRoot({
    'srv/app/package.json': '{"name": "app", "imports": {"#cfg": "./lib/config.js"}}',
    'srv/app/run.js': [
      '#!/usr/bin/env node',
      "require('fs'); require('node:path');",
      "require('./lib');",
      "require('#cfg');",
      "require('dual');",
      "require('pat/feature/x');",
      "require('old');",
      "require('not-installed');",
      "require('./data.json');",
      "require('./addon.node');",
      '',
    ].join('\n'),
    'srv/app/lib/index.js': "module.exports = require('../util');\n",
    'srv/app/util.js': '',
    'srv/app/lib/config.js': '',
    'srv/app/data.json': '{}',
    'srv/app/addon.node': 'not really ELF',
    'srv/node_modules/dual/package.json': '{"exports": {".": {"import": "./esm/index.js", "require": "./cjs/index.js"}}}',
    'srv/node_modules/dual/esm/index.js': 'export default 1;\n',
    'srv/node_modules/dual/esm/package.json': '{"type": "module"}',
    'srv/node_modules/dual/cjs/index.js': '',
    'srv/node_modules/pat/package.json': '{"exports": {"./feature/*": "./dist/*.js"}}',
    'srv/node_modules/pat/dist/x.js': '',
    'srv/app/node_modules/old/package.json': '{"main": "main.js"}',
    'srv/app/node_modules/old/main.js': "require('./gone');\n",
  });
  const resolver = new ProgramResolver(new RootFs(root));
  const closure = resolver.closure(resolver.fs.lookup('/srv/app/run.js'));
  const paths = closure.needs.list().map((n) => n.path);
  for (const want of [
    '/srv/app/lib/index.js',
    '/srv/app/util.js',
    '/srv/app/lib/config.js',
    '/srv/app/package.json',
    '/srv/node_modules/dual/cjs/index.js',
    '/srv/node_modules/dual/esm/index.js',
    '/srv/node_modules/dual/esm/package.json',
    '/srv/node_modules/dual/package.json',
    '/srv/node_modules/pat/dist/x.js',
    '/srv/app/node_modules/old/main.js',
    '/srv/app/data.json',
    '/srv/app/addon.node',
  ])
    assert.ok(paths.includes(want), `${want} in ${paths.join(' ')}`);
  const missing = closure.diagnostics.filter((d) => d.code === 'MODULE_MISSING').map((d) => d.message.split(',')[0]);
  // old/main.js is inside node_modules: its own missing requires are the package's business, not reported.
  assert.equal(missing, ['/srv/app/run.js:8: requires not-installed']);
});

test.run();
