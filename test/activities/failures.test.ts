// Translation errors of the data plane leave the activities as non-retryable failures of their own
// type, listed in PERMANENT_ERROR_TYPES (the workflows' retry policies use the same list).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../../src/activities/adapter';
import { withoutValue } from '../../src/activities/tables';
import { SchemaTranslationError } from '../../src/dataplane/schema/translate';
import { CanonicalError } from '../../src/dataplane/validate';
import { ValueTranslationError } from '../../src/dataplane/values';
import { PERMANENT_ERROR_TYPES } from '../../src/spec/error-types';

test('value, schema and canonical errors are permanent and keep their names as the type', () => {
  for (const err of [
    new ValueTranslationError('table "t", column "c", key [1]: bad'),
    new SchemaTranslationError(['t.c: refused type']),
    new CanonicalError('column "c" has no counterpart'),
  ]) {
    assert.ok(PERMANENT_ERROR_TYPES.includes(err.name), err.name);
    const f = toFailure(err);
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, err.name);
    assert.equal(f.nonRetryable, true);
  }
});

test('withoutValue cuts the offending value out of a converter message', () => {
  assert.equal(
    withoutValue('zero or partial date "0000-00-00" has no PostgreSQL equivalent', '0000-00-00'),
    'zero or partial date (value not shown) has no PostgreSQL equivalent',
  );
  assert.equal(
    withoutValue('2 is not 0 or 1, so it cannot become a boolean', 2),
    '(value not shown) is not 0 or 1, so it cannot become a boolean',
  );
  assert.equal(
    withoutValue('Infinity has no MySQL equivalent', Infinity),
    '(value not shown) has no MySQL equivalent',
  );
  assert.equal(
    withoutValue('a uuid needs 16 bytes, this value has 3', Buffer.from('abc')),
    'a uuid needs 16 bytes, this value has 3',
  );
});
