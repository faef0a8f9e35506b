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

test('--set for a variable no profile of the chain declares or uses is refused, with the closest name', () => {
  const value = { name: 'inline', extends: 'base', variables: { TOOL: '/usr/bin/ls' }, binaries: ['${TOOL}'] };
  const refused = (set: Record<string, string>): string => {
    try {
      loadProfileFromObject(value, { file: 'inline.json', dir: '/srv/profiles', set });
    } catch (err) {
      assert.instance(err, JailError);
      return (err as Error).message;
    }
    return 'accepted';
  };
  assert.match(refused({ TOOLS: '/usr/bin/cat' }), /--set TOOLS: no profile of \/srv\/profiles\/inline\.json declares or uses that variable; did you mean TOOL\?/);
  assert.match(refused({ ZZZZZZZZ: 'x' }), /its variables: TOOL/);
  assert.is(refused({ TOOL: '/usr/bin/cat' }), 'accepted', 'a declared variable');
});

test.run();
