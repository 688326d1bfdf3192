// "What changed since the last validation" on both engines: changes applied with trim's retainAfter
// stay in the changelog (without being applied again or counted as lag), and changedKeys(since) lists
// exactly the distinct keys changed after `since` — both keys of a primary-key change, a TRUNCATE as
// the whole table — page by page; a later retain point lets the older changes go.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { catchUp, applyBatch, type ApplierOptions } from '../../src/dataplane/capture/applier';
import type { ChangedKey, ChangeCapture } from '../../src/engines/capture';
import { openEngine } from '../../src/engines';
import type { Engine } from '../../src/engines/engine';
import { FULL_RANGE, keyToJson } from '../../src/engines/key-range';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

const dbs: TestDatabase[] = [];
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const d of dbs) await d.drop().catch(() => undefined);
});

const COLUMNS = ['id', 'v'];

async function allKeys(capture: ChangeCapture, since: string | null): Promise<string[]> {
  const out: ChangedKey[] = [];
  let cursor: string | null = null;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 100);
    const page = await capture.changedKeys(since, { limit: 2, after: cursor });
    assert.ok(page.keys.length <= 2);
    out.push(...page.keys);
    if (page.next === null) break;
    cursor = page.next;
  }
  const ids = out.map((k) => `${k.table}:${k.key === null ? 'TRUNCATE' : JSON.stringify(keyToJson(k.key))}`);
  assert.equal(new Set(ids).size, ids.length, `pairs are distinct: ${ids.join(' ')}`);
  return ids.sort();
}

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`${kind} changedKeys`, () => {
    test('lists exactly the keys changed after the retained position', async () => {
      const exec = kind === 'postgres' ? execPostgres : execMysql;
      const src = await (kind === 'postgres' ? createPostgresDatabase : createMysqlDatabase)('cutover_ck_s');
      dbs.push(src);
      const dst = await (kind === 'postgres' ? createPostgresDatabase : createMysqlDatabase)('cutover_ck_t');
      dbs.push(dst);
      const ddl = [
        'CREATE TABLE items (id int PRIMARY KEY, v text)',
        'CREATE TABLE other (id int PRIMARY KEY, v text)',
      ];
      await exec(src.url, ddl);
      await exec(dst.url, ddl);
      const source = openEngine(kind, src.url);
      const target = openEngine(kind, dst.url);
      engines.push(source, target);
      const sourceSchema = kind === 'postgres' ? 'public' : src.name;
      const targetSchema = kind === 'postgres' ? 'public' : dst.name;
      const capture = source.capture(sourceSchema);
      await capture.install([
        { table: 'items', key: ['id'] },
        { table: 'other', key: ['id'] },
      ]);
      const options: ApplierOptions = {
        capture,
        source: source.rows(),
        target: target.rows(),
        sourceSchema,
        targetSchema,
        tables: [
          { table: 'items', columns: COLUMNS, key: ['id'] },
          { table: 'other', columns: COLUMNS, key: ['id'] },
        ],
        batchSize: 2,
      };

      // Before the "validation": applied and trimmed as usual.
      await exec(src.url, [
        `INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (5, 'e')`,
        `INSERT INTO other VALUES (1, 'x')`,
      ]);
      const validated = (await catchUp(options, null)).position;

      // After it: an update, a primary-key change, a delete, an insert, a key touched twice.
      const afterIt = [
        `UPDATE items SET v = 'B' WHERE id = 2`,
        'UPDATE items SET id = 30 WHERE id = 3',
        'DELETE FROM items WHERE id = 1',
        `INSERT INTO items VALUES (4, 'd')`,
        `UPDATE items SET v = 'BB' WHERE id = 2`,
      ];
      if (kind === 'postgres') afterIt.push('TRUNCATE other');
      await exec(src.url, afterIt);
      const expected = ['items:[1]', 'items:[2]', 'items:[30]', 'items:[3]', 'items:[4]'];
      if (kind === 'postgres') expected.push('other:TRUNCATE');

      const caught = await catchUp({ ...options, retainAfter: validated }, validated);
      assert.ok(caught.batches > 1, 'several batches, each trimmed with retainAfter');
      // Applied: the target equals the source; the retained changes are neither lag nor read again.
      for (const table of ['items', 'other'])
        assert.deepEqual(
          await target.rows().readRange(targetSchema, table, COLUMNS, ['id'], FULL_RANGE, 100),
          await source.rows().readRange(sourceSchema, table, COLUMNS, ['id'], FULL_RANGE, 100),
        );
      assert.equal((await capture.lag(caught.position)).rowsBehind, 0);
      assert.deepEqual((await capture.readBatch(caught.position, 100)).changes, []);

      assert.deepEqual(await allKeys(capture, validated), expected);
      // Not yet applied changes count too: up to the current end of the changelog.
      await exec(src.url, [`UPDATE items SET v = 'E' WHERE id = 5`]);
      assert.deepEqual(await allKeys(capture, validated), [...expected, 'items:[5]'].sort());

      // The next validation starts at caught.position: applying with that retain point lets go of
      // what came before it; changedKeys(caught.position) lists only the newer key.
      const next = await catchUp({ ...options, retainAfter: caught.position }, caught.position);
      assert.deepEqual(await allKeys(capture, caught.position), ['items:[5]']);
      assert.deepEqual(await allKeys(capture, null), ['items:[5]']);
      // retainAfter null keeps everything; without retainAfter, applied changes go.
      await exec(src.url, [`INSERT INTO items VALUES (6, 'f')`]);
      const kept = await catchUp({ ...options, retainAfter: null }, next.position);
      assert.deepEqual(await allKeys(capture, null), ['items:[5]', 'items:[6]']);
      await exec(src.url, [`INSERT INTO items VALUES (7, 'g')`]);
      await applyBatch(options, kept.position);
      // MySQL keeps its changelog's last row, the floor of the AUTO_INCREMENT counter (see trim).
      assert.deepEqual(await allKeys(capture, null), kind === 'mysql' ? ['items:[7]'] : []);

      await assert.rejects(capture.changedKeys(null, { limit: 2, after: 'nonsense' }), /cursor/);
      await capture.remove();
    });
  });
}
