import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, parsePolicyCsv, validatePolicy } from './index.js';

describe('parsePolicyCsv', () => {
  it('reads p and g lines with their origin, skipping comments and blank lines', () => {
    const parsed = parsePolicyCsv(
      '# team policies\n\n  p, role:dev, applications, sync, dev/*, allow  \r\ng, "my-org:dev, ops", role:dev\n',
    );
    assert.equal(parsed.valid, true);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.permissions, [
      {
        subject: 'role:dev',
        resource: 'applications',
        action: 'sync',
        object: 'dev/*',
        effect: 'allow',
        source: 'policy.csv',
        line: 3,
        text: 'p, role:dev, applications, sync, dev/*, allow',
      },
    ]);
    assert.deepEqual(parsed.groupings, [
      {
        subject: 'my-org:dev, ops',
        role: 'role:dev',
        source: 'policy.csv',
        line: 4,
        text: 'g, "my-org:dev, ops", role:dev',
      },
    ]);
  });

  const errors = [
    {
      name: 'a p line without effect',
      line: 'p, alice, applications, get, */*',
      want: /has 5; add the effect/,
    },
    {
      name: 'a p line with too many fields',
      line: 'p, a, applications, get, */*, allow, extra',
      want: /has 7; quote a field/,
    },
    {
      name: 'a g line with an unquoted comma',
      line: 'g, my-org:a, b, role:x',
      want: /has 4; quote a group name/,
    },
    { name: 'a g line with two fields', line: 'g, alice', want: /a g line has 3 fields/ },
    {
      name: 'an unknown line type',
      line: 'x, alice, role:admin',
      want: /not "x"; comment lines start with #/,
    },
    {
      name: 'a line type with a space',
      line: 'p , a, applications, get, */*, allow',
      want: /not "p "/,
    },
    { name: 'an empty first field', line: ', a, b', want: /not ""/ },
    {
      name: 'a misspelt effect',
      line: 'p, a, applications, get, */*, dney',
      want: /must be allow or deny, not "dney"/,
    },
    {
      name: 'a capitalised effect',
      line: 'p, a, applications, get, */*, Allow',
      want: /not "Allow"/,
    },
    {
      name: 'an empty subject',
      line: 'p, , applications, get, */*, allow',
      want: /subject \(field 2\) is empty/,
    },
    { name: 'an empty role', line: 'g, alice, ', want: /role \(field 3\) is empty/ },
    { name: 'a bare quote', line: 'g, a"b, role:x', want: /bare quote at column 5/ },
  ];
  for (const c of errors) {
    it(`reports ${c.name} with its line number`, () => {
      const parsed = parsePolicyCsv(`g, ok, role:readonly\n${c.line}\ng, ok2, role:readonly`);
      assert.equal(parsed.valid, false);
      const errs = parsed.problems.filter((p) => p.severity === 'error');
      assert.equal(errs.length, 1);
      assert.equal(errs[0]?.line, 2);
      assert.match(errs[0].message, c.want);
      // the valid lines around it are still read (so every error can be reported at once)
      assert.equal(parsed.groupings.length, 2);
    });
  }

  it('reports every bad line, not just the first', () => {
    const parsed = parsePolicyCsv('p, a\np, b\ng, c');
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [1, 2, 3],
    );
  });

  it('numbers lines per named source', () => {
    const parsed = parsePolicyCsv([
      { name: 'policy.csv', text: 'g, a, role:admin' },
      { name: 'policy.team.csv', text: '\n\np, b, applications' },
    ]);
    assert.deepEqual(
      parsed.problems.map((p) => formatProblem(p).slice(0, 22)),
      ['policy.team.csv line 3'],
    );
  });

  const warnings = [
    {
      name: 'an unknown resource',
      line: 'p, a, application, get, */*, allow',
      want: /resource "application" is not one of/,
    },
    {
      name: 'an unknown action',
      line: 'p, a, applications, synk, */*, allow',
      want: /action "synk" is not a known action/,
    },
    {
      name: 'a trailing space inside a field',
      line: 'p, a, applications, get , */*, allow',
      want: /action "get " ends with a space/,
    },
  ];
  for (const c of warnings) {
    it(`warns about ${c.name} without rejecting the policy`, () => {
      const parsed = parsePolicyCsv(c.line);
      assert.equal(parsed.valid, true);
      assert.equal(parsed.permissions.length, 1);
      assert.match(parsed.problems[0]?.message ?? '', c.want);
      assert.equal(parsed.problems[0]?.severity, 'warning');
    });
  }

  it('does not warn about globs or sub-resource actions', () => {
    const parsed = parsePolicyCsv(
      'p, a, app*, update/*, */*, allow\np, a, applications, action/apps/Deployment/restart, */*, allow',
    );
    assert.deepEqual(parsed.problems, []);
  });

  it('checks regular expressions only in regex mode', () => {
    const line = 'p, a, applications, get, *, allow';
    assert.equal(parsePolicyCsv(line).valid, true);
    const regex = parsePolicyCsv(line, { matchMode: 'regex' });
    assert.equal(regex.valid, false);
    assert.match(regex.problems[0]?.message ?? '', /"\*" is not a valid regular expression/);
  });

  it('never throws on arbitrary text', () => {
    const junk = [
      '\u0000\u0001',
      '"""',
      ',,,,',
      'p'.repeat(10_000),
      '\n'.repeat(1000),
      'g, "a\nb", c',
    ];
    for (const text of junk) assert.doesNotThrow(() => parsePolicyCsv(text));
  });

  it('shortens and sanitises line excerpts in messages', () => {
    const parsed = parsePolicyCsv(`x, https://user:hunter2@git.example/${'a'.repeat(300)}`);
    const message = parsed.problems[0]?.message ?? '';
    assert.ok(!message.includes('hunter2'));
    assert.ok(message.length < 300);
  });
});

describe('validatePolicy', () => {
  it('warns about bindings to roles nothing defines, but knows the built-in roles', () => {
    const result = validatePolicy(
      'g, alice, role:amdin\ng, bob, role:admin\ng, ci, proj:team-a:ci',
    );
    assert.equal(result.valid, true);
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.severity]),
      [[1, 'warning']],
    );
    assert.match(result.problems[0]?.message ?? '', /role "role:amdin" has no p or g lines/);
  });

  it('is invalid when any line has an error', () => {
    const result = validatePolicy('g, alice, role:admin\np, bob');
    assert.equal(result.valid, false);
  });
});
