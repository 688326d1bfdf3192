// A retried analysis resumes: tables probed by an earlier attempt (their answers checkpointed in
// the heartbeat) are not scanned again, and the result is the same.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { analyzeSchema } from '../../src/dataplane/planner/analysis';
import type { Engine, ProbeResult } from '../../src/engines/engine';
import { openEngine } from '../../src/engines';
import { createMysqlDatabase, execMysql, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let engine: Engine;

before(async () => {
  db = await createMysqlDatabase('cutover_resume');
  await execMysql(db.url, [
    "SET SESSION sql_mode = ''",
    'CREATE TABLE a (id INT PRIMARY KEY, flag TINYINT(1), born DATE)',
    'CREATE TABLE b (id INT PRIMARY KEY, flag TINYINT(1))',
    'CREATE TABLE c (id INT PRIMARY KEY, flag TINYINT(1))',
    "INSERT INTO a VALUES (1, 2, '0000-00-00'), (2, 1, '2020-01-01')",
    'INSERT INTO b VALUES (1, 0), (2, 1)',
    'INSERT INTO c VALUES (1, 5)',
  ]);
  engine = openEngine('mysql', db.url);
});

after(async () => {
  await engine?.close();
  await db?.drop();
});

test('probe answers from a checkpoint are reused and only the rest is scanned', async () => {
  const source = await engine.introspect({ schema: db.name });
  const target = { ...source, engine: 'postgres' as const, tables: [] };
  const scanned: string[] = [];
  const counting: Engine = Object.assign(Object.create(engine) as Engine, {
    probe: (schema: string, table: string, probes: Parameters<Engine['probe']>[2]) => {
      scanned.push(table);
      return engine.probe(schema, table, probes);
    },
  });
  const checkpoint: Record<string, ProbeResult[]> = {};
  const options = { include: ['*'], exclude: [], skipDataProbes: false, tableWritesPerSecond: null };

  // First attempt: "crashes" after table b was checkpointed.
  const first = await analyzeSchema(counting, source, target, {
    ...options,
    onTable: (table, results) => {
      if (table !== 'c') checkpoint[table] = results;
    },
  });
  assert.deepEqual(scanned, ['a', 'b', 'c']);

  scanned.length = 0;
  const resumed = await analyzeSchema(counting, source, target, { ...options, probed: checkpoint });
  assert.deepEqual(scanned, ['c'], 'only the table without a checkpoint is scanned again');
  assert.deepEqual(resumed.findings, first.findings);
  assert.deepEqual(resumed.tables, first.tables);
  assert.ok(first.findings.some((f) => f.code === 'ZERO_DATES' && f.table === 'a'));
  assert.equal(
    first.tables.find((t) => t.table === 'b')!.columns.find((c) => c.column === 'flag')!.targetType,
    'boolean',
  );
});
