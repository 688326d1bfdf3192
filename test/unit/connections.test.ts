import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { redact, redactError, resolveConnection } from '../../src/connections';

test('a connection name resolves from CUTOVER_DB_<NAME>', () => {
  process.env.CUTOVER_DB_UNIT_A = 'postgres://app:s3cr3t-A@127.0.0.1:5432/shop';
  assert.equal(resolveConnection('UNIT_A', 'postgres'), 'postgres://app:s3cr3t-A@127.0.0.1:5432/shop');
});

test('a missing connection names the variable to set, and no URL', () => {
  delete process.env.CUTOVER_DB_UNIT_MISSING;
  assert.throws(() => resolveConnection('UNIT_MISSING', 'mysql'), {
    name: 'ConnectionNotConfigured',
    message:
      /connection UNIT_MISSING is not configured on this worker: set CUTOVER_DB_UNIT_MISSING=mysql:\/\//,
  });
});

test('an engine that does not match the URL scheme is refused', () => {
  process.env.CUTOVER_DB_UNIT_B = 'mysql://root:pw-b-123@127.0.0.1/x';
  assert.throws(
    () => resolveConnection('UNIT_B', 'postgres'),
    /mysql:\/\/ URL but the spec says its engine is postgres/,
  );
});

test('a connections file (YAML) is read when the variable is not set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(file, 'UNIT_FILE: "mysql://u:file-pass-9@127.0.0.1:3306/db"\n');
  process.env.CUTOVER_CONNECTIONS_FILE = file;
  try {
    assert.equal(resolveConnection('UNIT_FILE', 'mysql'), 'mysql://u:file-pass-9@127.0.0.1:3306/db');
  } finally {
    delete process.env.CUTOVER_CONNECTIONS_FILE;
  }
});

test('redact scrubs credentials from any URL and every resolved secret, wherever it appears', () => {
  process.env.CUTOVER_DB_UNIT_C = 'postgres://app:p%40ss%2Fword@127.0.0.1:5432/shop';
  resolveConnection('UNIT_C', 'postgres');
  const text = redact(
    'failed: postgres://app:p%40ss%2Fword@127.0.0.1:5432/shop; echo p@ss/word; other mysql://x:y@h/db',
  );
  assert.ok(!text.includes('p%40ss%2Fword'));
  assert.ok(!text.includes('p@ss/word'));
  assert.ok(!text.includes('x:y@'));
  assert.match(text, /postgres:\/\/app:\*\*\*@127\.0\.0\.1/);
  assert.match(text, /mysql:\/\/x:\*\*\*@h/);
});

test('redactError scrubs message, stack and cause chain', () => {
  process.env.CUTOVER_DB_UNIT_D = 'mysql://root:deep-secret-7@127.0.0.1/x';
  resolveConnection('UNIT_D', 'mysql');
  const inner = new Error('inner has deep-secret-7');
  const outer = new Error('connect mysql://root:deep-secret-7@127.0.0.1/x failed', { cause: inner });
  const clean = redactError(outer);
  assert.ok(!clean.message.includes('deep-secret-7'));
  assert.ok(!(clean.stack ?? '').includes('deep-secret-7'));
  assert.ok(!(clean.cause as Error).message.includes('deep-secret-7'));
});

test('a broken connections file names the line, never the file text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(file, 'SHOP_SRC: "mysql://u:Sec/ret-99@db/x"\nSHOP_SRC: "postgres://app:Sec/ret-98@db/x"\n');
  process.env.CUTOVER_CONNECTIONS_FILE = file;
  try {
    assert.throws(
      () => resolveConnection('OTHER', 'mysql'),
      (err: Error) => {
        assert.equal(err.name, 'ConnectionNotConfigured');
        assert.match(err.message, /is not valid YAML\/JSON \(line 2\)/);
        assert.ok(!err.message.includes('Sec/ret'), err.message);
        return true;
      },
    );
  } finally {
    delete process.env.CUTOVER_CONNECTIONS_FILE;
  }
});

test('every URL in a connections file is scrubbed, even the ones this worker does not use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-conn-'));
  const file = join(dir, 'connections.yaml');
  writeFileSync(file, 'USED: "mysql://u:used-pass-1@h/db"\nUNUSED: "postgres://u:unused-pass-2@h/db"\n');
  process.env.CUTOVER_CONNECTIONS_FILE = file;
  try {
    resolveConnection('USED', 'mysql');
    assert.equal(redact('leaked unused-pass-2 here'), 'leaked *** here');
  } finally {
    delete process.env.CUTOVER_CONNECTIONS_FILE;
  }
});

test('a password holding @ or / is scrubbed whole, also from URLs never resolved', () => {
  const text = redact('a mysql://u:p@ss/w@rd@db.internal:3306/shop b');
  assert.equal(text, 'a mysql://u:***@db.internal:3306/shop b');
});
