// How activity errors leave for Temporal: the retry decision, the stable type, and no secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toFailure } from '../../src/activities/adapter';
import { resolveConnection } from '../../src/connections';
import { EngineInputError } from '../../src/engines/errors';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

function failure(err: unknown): ApplicationFailure {
  const f = toFailure(err);
  assert.ok(f instanceof ApplicationFailure);
  return f;
}

test('permanent errors are not retried, and keep a stable type', () => {
  const cases: [unknown, string][] = [
    [new EngineInputError('schema "nope" does not exist'), 'EngineInputError'],
    [withCode('relation "t" does not exist', '42P01'), 'DatabaseRejected'],
    [withCode('password authentication failed', '28P01'), 'DatabaseRejected'],
    [withCode('invalid input syntax for type integer', '22P02'), 'DatabaseRejected'],
    [withCode('You have an error in your SQL syntax', 'ER_PARSE_ERROR'), 'DatabaseRejected'],
    [withCode("Unknown database 'x'", 'ER_BAD_DB_ERROR'), 'DatabaseRejected'],
  ];
  for (const [err, type] of cases) {
    const f = failure(err);
    assert.equal(f.type, type, String(err));
    assert.equal(f.nonRetryable, true, String(err));
  }
});

test('transient errors are retried', () => {
  for (const [err, type] of [
    [withCode('could not serialize access', '40001'), 'ActivityError'],
    [withCode('canceling statement due to statement timeout', '57014'), 'ActivityError'],
    [withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'DatabaseUnavailable'],
    [withCode('Connection lost', 'PROTOCOL_CONNECTION_LOST'), 'DatabaseUnavailable'],
  ] as const) {
    const f = failure(err);
    assert.equal(f.type, type);
    assert.equal(f.nonRetryable, false);
  }
});

test('a cancellation leaves as a cancellation', () => {
  const c = new CancelledFailure('cancelled');
  assert.equal(toFailure(c), c);
});

test('messages and stacks are redacted', () => {
  process.env.CUTOVER_DB_FAIL_A = 'mysql://root:fail-secret-42@127.0.0.1/x';
  resolveConnection('FAIL_A', 'mysql');
  const f = failure(new Error('could not use mysql://root:fail-secret-42@127.0.0.1/x'));
  assert.ok(!f.message.includes('fail-secret-42'));
  assert.ok(!(f.stack ?? '').includes('fail-secret-42'));
});
