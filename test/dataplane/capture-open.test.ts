// openTriggerCapture: the same calls capture changes on either engine from a connection URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTriggerCapture } from '../../src/dataplane/capture/capture-engine';
import { createMysqlDatabase, createPostgresDatabase, execMysql, execPostgres } from '../helpers/databases';

for (const kind of ['postgres', 'mysql'] as const) {
  test(`${kind}: install, capture, trim, remove through openTriggerCapture`, async () => {
    const db =
      kind === 'postgres'
        ? await createPostgresDatabase('cutover_capo')
        : await createMysqlDatabase('cutover_capo');
    const exec = kind === 'postgres' ? execPostgres : execMysql;
    const schema = kind === 'postgres' ? 'public' : db.name;
    const capture = openTriggerCapture(kind, db.url, schema);
    try {
      await exec(db.url, ['CREATE TABLE t (id INT PRIMARY KEY, v TEXT)']);
      await capture.install([{ table: 't', key: ['id'] }]);
      await exec(db.url, [`INSERT INTO t VALUES (1, 'a')`, `UPDATE t SET id = 2`, `DELETE FROM t`]);
      const batch = await capture.readBatch(null, 10);
      assert.deepEqual(
        batch.changes.map((c) => [c.op, c.key, c.oldKey]),
        [
          ['insert', [1], null],
          ['update', [2], [1]],
          ['delete', [2], null],
        ],
      );
      assert.equal((await capture.lag()).rowsBehind, 3);
      // MySQL keeps the changelog's last row (the floor of its AUTO_INCREMENT counter).
      assert.equal(await capture.trim(batch.position), kind === 'mysql' ? 2 : 3);
      assert.deepEqual(await capture.lag(batch.position), { rowsBehind: 0, secondsBehind: 0 });
      await capture.remove();
      await capture.remove();
    } finally {
      await capture.close();
      await db.drop();
    }
  });
}
