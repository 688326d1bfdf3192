// The validateChangedKeys activity in a MockActivityEnvironment on real databases (MariaDB ->
// PostgreSQL), its changed keys from an injected source paged like ChangeCapture.changedKeys: only
// the listed keys are compared; a truncated table is validated in full; a retry resumes after the
// last page it heartbeated; and nothing that leaves the activity holds a row value other than keys.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { TableMove } from '../../src/activities/tables';
import {
  validateChangedKeys,
  validateChangedKeysWith,
  type ChangedKeysSource,
  type ValidateChangedKeysHeartbeat,
  type ValidateChangedKeysInput,
  type ValidateChangedKeysResult,
} from '../../src/activities/validate';
import {
  applySchema,
  copyTables,
  installCapture,
  prepareSchema,
  removeCapture,
  type PipelineJob,
  type PreparedSchema,
} from '../../src/dataplane/pipeline';
import type { Key } from '../../src/engines/key-range';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';
import { insertRows } from '../helpers/validate-tables';

let my: TestDatabase;
let pgdb: TestDatabase;
let prepared: PreparedSchema;
let job: PipelineJob;
const SECRET_NOTE = 'secret-note-value';

/** Changed keys in pages of `limit`, cursor = index; `calls` records each request. */
function pagedSource(
  entries: { table: string; key: Key | null }[],
  calls: (string | null)[],
): ChangedKeysSource {
  return async (since, { limit, after }) => {
    assert.equal(since, 'pos-1');
    calls.push(after ?? null);
    const from = after ? Number(after) : 0;
    const keys = entries.slice(from, from + limit);
    return { keys, next: from + limit < entries.length ? String(from + limit) : null };
  };
}

function moves(): TableMove[] {
  return ['t', 'w'].map((name) => ({
    table: prepared.source.tables.find((t) => t.name === name)!,
    mapping: prepared.plan.tables.find((t) => t.source === name)!,
  }));
}

const input = (): ValidateChangedKeysInput => ({
  source: { engine: 'mysql', connection: 'VCK_SRC' },
  target: { engine: 'postgres', connection: 'VCK_DST', schema: 'public' },
  tables: moves(),
  since: 'pos-1',
  pageSize: 3,
  recheckAttempts: 1,
  recheckDelayMs: 0,
});

async function run(
  source: ChangedKeysSource,
  heartbeatDetails?: unknown,
): Promise<{ result: ValidateChangedKeysResult; beats: ValidateChangedKeysHeartbeat[] }> {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  const beats: ValidateChangedKeysHeartbeat[] = [];
  env.on('heartbeat', (d: unknown) => {
    if (d && typeof d === 'object' && 'totals' in d)
      beats.push(structuredClone(d) as ValidateChangedKeysHeartbeat);
  });
  const activity = validateChangedKeysWith(() => source);
  const result = (await env.run(activity, input())) as ValidateChangedKeysResult;
  return { result, beats };
}

before(async () => {
  [my, pgdb] = await Promise.all([
    createMysqlDatabase('cutover_vcka'),
    createPostgresDatabase('cutover_vcka'),
  ]);
  await execMysql(my.url, [
    `CREATE TABLE t (flag tinyint(1) NOT NULL, name varchar(20) COLLATE utf8mb4_general_ci NOT NULL,
      note varchar(40), PRIMARY KEY (flag, name))`,
    `CREATE TABLE w (id int PRIMARY KEY, n int)`,
  ]);
  await insertRows(
    'mysql',
    my.url,
    't',
    ['flag', 'name', 'note'],
    Array.from({ length: 20 }, (_, i) => [i % 2, `name ${i}`, `${SECRET_NOTE} ${i}`]),
  );
  await insertRows(
    'mysql',
    my.url,
    'w',
    ['id', 'n'],
    Array.from({ length: 50 }, (_, i) => [i, i]),
  );
  job = {
    source: { kind: 'mysql', url: my.url, schema: my.name },
    target: { kind: 'postgres', url: pgdb.url, schema: 'public' },
    tables: ['t', 'w'],
    overrides: { 't.flag': { type: 'boolean' } },
  };
  prepared = await prepareSchema(job);
  await applySchema(job, prepared.plan, 'tables');
  await copyTables(job, prepared);
  process.env.CUTOVER_DB_VCK_SRC = my.url;
  process.env.CUTOVER_DB_VCK_DST = pgdb.url;
  // Differences: listed (t 'name 3', w 7) and not listed (t 'name 4', w 8).
  await execPostgres(pgdb.url, [
    `UPDATE t SET note = 'changed' WHERE name IN ('name 3', 'name 4')`,
    `UPDATE w SET n = -1 WHERE id IN (7, 8)`,
  ]);
});

after(async () => {
  delete process.env.CUTOVER_DB_VCK_SRC;
  delete process.env.CUTOVER_DB_VCK_DST;
  await Promise.allSettled([my?.drop(), pgdb?.drop()]);
});

const changed: { table: string; key: Key | null }[] = [
  { table: 't', key: [0, 'name 0'] },
  { table: 't', key: [1, 'name 1'] },
  { table: 't', key: [0, 'name 2'] },
  { table: 't', key: [1, 'name 3'] },
  { table: 't', key: [1, 'gone everywhere'] },
  { table: 'other', key: [1] },
  { table: 'w', key: [6] },
  { table: 'w', key: [7] },
];

test('only the changed keys are compared; each table gets a report', async () => {
  const calls: (string | null)[] = [];
  const { result, beats } = await run(pagedSource(changed, calls));
  assert.deepEqual(calls, [null, '3', '6']);
  assert.equal(result.status, 'mismatch');
  const [t, w] = result.tables;
  assert.deepEqual([t!.source.table, t!.matching, t!.mismatched, t!.missing, t!.extra], ['t', 3, 1, 0, 0]);
  assert.deepEqual(t!.samples.mismatched, [[1, 'name 3']]);
  assert.equal((t as { absent?: number }).absent, 1);
  assert.deepEqual([w!.source.table, w!.matching, w!.mismatched], ['w', 1, 1]);
  assert.deepEqual(w!.samples.mismatched, [[7]]);
  assert.equal(beats.length, 3, 'one heartbeat per page');
  const leaving = JSON.stringify([result, beats]);
  assert.ok(!leaving.includes(SECRET_NOTE), 'no row value leaves the activity');
});

test('a truncated table is validated in full', async () => {
  const { result } = await run(pagedSource([...changed, { table: 'w', key: null }], []));
  const w = result.tables[1]!;
  assert.equal(w.keyMode, 'range');
  assert.deepEqual([w.sourceRows, w.matching, w.mismatched], [50, 48, 2]);
  assert.deepEqual(w.samples.mismatched, [[7], [8]]);
});

test('a retry resumes after the last heartbeated page with its totals', async () => {
  const first = await run(pagedSource(changed, []));
  const calls: (string | null)[] = [];
  const resumed = await run(pagedSource(changed, calls), first.beats[0]);
  assert.deepEqual(calls, ['3', '6']);
  assert.deepEqual(resumed.result, first.result);
});

test("with the source engine's change capture: the keys changed since then, and only those", async () => {
  await installCapture(job, prepared);
  try {
    await execMysql(my.url, [
      `UPDATE t SET note = 'changed on the source' WHERE name = 'name 5'`,
      `DELETE FROM w WHERE id = 9`,
      `INSERT INTO w VALUES (100, 100)`,
    ]);
    const env = new MockActivityEnvironment();
    const result = (await env.run(validateChangedKeys, {
      ...input(),
      since: null,
    })) as ValidateChangedKeysResult;
    const [t, w] = result.tables;
    assert.deepEqual([t!.matching, t!.mismatched, t!.missing, t!.extra], [0, 1, 0, 0]);
    assert.deepEqual(t!.samples.mismatched, [[1, 'name 5']]);
    // Inserted on the source only: missing; deleted on the source only: extra on the target.
    assert.deepEqual([w!.matching, w!.mismatched, w!.missing, w!.extra], [0, 0, 1, 1]);
    assert.deepEqual(w!.samples.missing, [[100]]);
    assert.deepEqual(w!.samples.extra, [[9]]);
  } finally {
    await removeCapture(job);
  }
});
