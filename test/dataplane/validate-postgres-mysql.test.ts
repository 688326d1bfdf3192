// PostgreSQL -> MariaDB on real servers with a timestamptz key: range bounds and reads by key go
// through the value translator's key conversion (timestamptz text -> UTC DATETIME and back), so
// the ranges line up; identical data matches, and changed, missing and extra rows are reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canonicalColumns, type CanonicalColumn } from '../../src/dataplane/validate/canonical';
import { keyTranslation, type KeyTranslation } from '../../src/dataplane/validate/keys';
import { validateTable, type ValidateTableOptions } from '../../src/dataplane/validate/validator';
import type { TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { mapColumn } from '../../src/engines/type-mapping';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';
import { insertRows, recordingReader, type RecordingReader } from '../helpers/validate-tables';

let pgdb: TestDatabase;
let my: TestDatabase;
let src: RecordingReader;
let dst: RecordingReader;
let columns: CanonicalColumn[];
let keys: KeyTranslation;

const N = 120;
const at = (i: number, zone = '+00'): string =>
  `2024-05-${String((i % 28) + 1).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00.${String(i).padStart(6, '0')}${zone}`;
const utc = (i: number): string => at(i, '');

before(async () => {
  [pgdb, my] = await Promise.all([createPostgresDatabase('cutover_vpm'), createMysqlDatabase('cutover_vpm')]);
  await execPostgres(pgdb.url, [
    `CREATE TABLE events (at timestamptz(6) PRIMARY KEY, ok boolean, note text)`,
  ]);
  // Written in another zone on purpose: the same instants.
  await insertRows(
    'postgres',
    pgdb.url,
    'events',
    ['at', 'ok', 'note'],
    Array.from({ length: N }, (_, i) => [at(i, '+00'), i % 3 === 0, `note ${i}`]),
  );
  const pe = createPostgresEngine(pgdb.url);
  const source = (await pe.introspect({ schema: 'public' })).tables[0] as TableModel;
  await pe.close();
  const types: Record<string, string> = {};
  for (const c of source.columns) {
    const m = mapColumn('postgres', 'mysql', c);
    if (m.refused) throw new Error(m.reason);
    types[c.name] = m.targetType;
  }
  assert.match(types.at!, /^datetime\(6\)/);
  await execMysql(my.url, [
    `CREATE TABLE events (${source.columns.map((c) => `\`${c.name}\` ${types[c.name]}`).join(', ')}, PRIMARY KEY (at))`,
  ]);
  await insertRows(
    'mysql',
    my.url,
    'events',
    ['at', 'ok', 'note'],
    Array.from({ length: N }, (_, i) => [utc(i), i % 3 === 0 ? 1 : 0, `note ${i}`]),
  );
  const me = createMysqlEngine(my.url);
  const target = (await me.introspect()).tables[0] as TableModel;
  await me.close();
  columns = canonicalColumns('postgres', 'mysql', source, types);
  keys = keyTranslation('postgres', 'mysql', source, ['at'], types, target);
  src = recordingReader('postgres', pgdb.url);
  dst = recordingReader('mysql', my.url);
});

after(async () => {
  await Promise.allSettled([src?.close(), dst?.close()]);
  await Promise.allSettled([pgdb?.drop(), my?.drop()]);
});

const options = (extra: Partial<ValidateTableOptions> = {}): ValidateTableOptions => ({
  source: { reader: src, table: { schema: 'public', table: 'events' } },
  target: { reader: dst, table: { schema: my.name, table: 'events' } },
  columns,
  key: ['at'],
  chunkRows: 25,
  beforeRecheck: async () => undefined,
  ...keys,
  ...extra,
});

test('key translation: timestamptz bounds become UTC DATETIME text and back', () => {
  assert.deepEqual(keys.toTargetKey([at(5)]), [utc(5)]);
  assert.ok(keys.toSourceKey);
});

test('identical data with a timestamptz key: every row matches, chunk ranges line up', async () => {
  dst.ranges.length = 0;
  const r = await validateTable(options());
  assert.equal(r.keyMode, 'range');
  assert.equal(r.status, 'match', JSON.stringify(r));
  assert.deepEqual([r.sourceRows, r.targetRows, r.matching, r.chunks], [N, N, N, 5]);
  // Every target range read is bounded by translated keys (no offsets in MariaDB's comparisons).
  for (const g of dst.ranges)
    for (const v of [...(g.lower ?? []), ...(g.upper ?? [])]) assert.doesNotMatch(String(v), /\+/);
});

test('changed, missing and extra rows are reported with their keys', async () => {
  await execMysql(my.url, [
    `UPDATE events SET ok = 1 - ok WHERE at = '${utc(10)}'`,
    `DELETE FROM events WHERE at = '${utc(20)}'`,
    `INSERT INTO events VALUES ('2030-01-01 00:00:00.000001', 0, 'extra')`,
  ]);
  const r = await validateTable(options());
  assert.deepEqual(r.samples, {
    // As PostgreSQL prints them (trailing zeros of the fraction trimmed).
    mismatched: [['2024-05-11 10:00:00.00001+00']],
    missing: [['2024-05-21 20:00:00.00002+00']],
    extra: [['2030-01-01 00:00:00.000001']],
  });
  assert.deepEqual([r.matching, r.mismatched, r.missing, r.extra], [N - 2, 1, 1, 1]);
  assert.equal(r.recheckedKeys, 3);
});
