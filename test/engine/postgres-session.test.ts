// The engine pins the settings that change how values print: database defaults that round floats
// or swap day and month must not change what is copied or compared.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Engine } from '../../src/engines/engine';
import { openEngine } from '../../src/engines';
import { createPostgresDatabase, execPostgres, PG_ADMIN_URL, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let engine: Engine;

before(async () => {
  db = await createPostgresDatabase('cutover_session');
  await execPostgres(PG_ADMIN_URL, [
    `ALTER DATABASE "${db.name}" SET extra_float_digits = 0`,
    `ALTER DATABASE "${db.name}" SET DateStyle = 'SQL, DMY'`,
    `ALTER DATABASE "${db.name}" SET IntervalStyle = 'sql_standard'`,
    `ALTER DATABASE "${db.name}" SET bytea_output = 'escape'`,
  ]);
  await execPostgres(db.url, [
    'CREATE TABLE t (id int PRIMARY KEY, f float8, d date, ts timestamp, i interval, b bytea)',
    "INSERT INTO t VALUES (1, 0.1::float8 + 0.2::float8, '2024-03-04', '2024-03-04 05:06:07.123456', '1 day 02:03:04', '\\x00ff')",
  ]);
  engine = openEngine('postgres', db.url);
});

after(async () => {
  await engine?.close();
  await db?.drop();
});

test('floats, dates, intervals and bytea read the same whatever the database defaults say', async () => {
  const batch = await engine.readSample('public', 't', ['f', 'd', 'ts', 'i', 'b'], 10);
  const [f, d, ts, i, b] = batch.rows[0]!;
  assert.equal(f, 0.30000000000000004);
  assert.equal(d, '2024-03-04');
  assert.equal(ts, '2024-03-04 05:06:07.123456');
  assert.equal(i, '1 day 02:03:04');
  assert.deepEqual(b, Buffer.from([0, 255]));
});
