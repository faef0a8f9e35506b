/** A profile given as a value is read as a file would be: schema, extends, variables, lines in messages. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError } from '../../src/errors.js';
import { loadProfileFromObject } from '../../src/profile/load-profile.js';

test('a value extending a shipped profile, with variables; origins name the value and its line', () => {
  const p = loadProfileFromObject({ name: 'inline', extends: 'base', variables: { TOOL: '/usr/bin/ls' }, binaries: ['${TOOL}'] }, { file: 'inline.json', dir: '/srv/profiles' });
  assert.is(p.name, 'inline');
  assert.is(p.file, '/srv/profiles/inline.json');
  const ls = p.binaries.find((b) => b.path === '/usr/bin/ls');
  assert.ok(ls, 'the variable is applied');
  assert.equal(ls?.origin, { file: '/srv/profiles/inline.json', pointer: '/binaries/0', line: 8 });
  assert.ok(
    p.binaries.some((b) => b.path === '/bin/sh'),
    'base comes first',
  );
});

test('a value that breaks the schema is refused with its line and field', () => {
  try {
    loadProfileFromObject({ binarys: ['/bin/ls'] });
    assert.unreachable('refused');
  } catch (err) {
    assert.instance(err, JailError);
    assert.match((err as Error).message, /<object>:2: \/binarys: unknown field; did you mean "binaries"\?/);
  }
});

test.run();
