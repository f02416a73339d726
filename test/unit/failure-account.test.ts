import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureAccount } from '../helpers/failure-account.ts';

test("a failing file's account: the spec reporter's failing tests, messages kept, stack frames dropped", () => {
  const output = [
    '✔ ok (1ms)',
    '✖ bad one (0.9ms)',
    'ℹ fail 1',
    '',
    '✖ failing tests:',
    '',
    'test at test/unit/x.test.ts:2:21',
    '✖ bad one (0.9ms)',
    '  AssertionError [ERR_ASSERTION]: plateau',
    '  RSS grows outside the Java heap',
    '      at TestContext.<anonymous> (file:///x.test.ts:2:50)',
    '      at Test.run (node:internal/test_runner/test:796:25)',
  ].join('\n');
  assert.equal(
    failureAccount(output),
    [
      '✖ failing tests:',
      'test at test/unit/x.test.ts:2:21',
      '✖ bad one (0.9ms)',
      '  AssertionError [ERR_ASSERTION]: plateau',
      '  RSS grows outside the Java heap',
    ].join('\n'),
  );
});

test('no failing tests section (a file that crashed first): no account; a long one is cut and says so', () => {
  assert.equal(failureAccount('Error: Cannot find module\n'), '');
  const long = ['✖ failing tests:', ...Array.from({ length: 100 }, (_, i) => `line ${i}`)].join('\n');
  const account = failureAccount(long).split('\n');
  assert.equal(account.length, 61);
  assert.equal(account.at(-1), "  ... 41 more lines in the file's own output");
});
