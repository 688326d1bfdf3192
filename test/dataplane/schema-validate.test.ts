// Foreign keys on PostgreSQL are added NOT VALID and validated by a separate statement: a row that
// breaks the constraint fails the VALIDATE (the constraint stays, NOT VALID, still enforced for new
// rows); once the data is fixed, re-running the phase validates it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translateSchema } from '../../src/dataplane/schema/translate';
import * as pgDdl from '../../src/engines/postgres/ddl';
import { createPool, createPostgresEngine } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres } from '../helpers/databases';

test('PostgreSQL: an orphan row fails VALIDATE, not the load; fixing it and re-running completes', async () => {
  const src = await createPostgresDatabase('cutover_ddl_val_src');
  const dst = await createPostgresDatabase('cutover_ddl_val_dst');
  const srcEngine = createPostgresEngine(src.url);
  const pool = createPool(dst.url);
  try {
    await execPostgres(src.url, [
      `CREATE TABLE parent (id integer PRIMARY KEY)`,
      `CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id),
         qty integer CONSTRAINT qty_positive CHECK (qty > 0))`,
    ]);
    const plan = translateSchema({
      source: await srcEngine.introspect(),
      targetEngine: 'postgres',
      targetSchema: 'public',
    });
    await pgDdl.applyDdlPhase(pool, plan, 'tables');
    // The "copy": one good row, one orphan.
    await execPostgres(dst.url, [
      `INSERT INTO parent VALUES (1)`,
      `INSERT INTO child VALUES (1, 1, 5), (2, 99, 5)`,
    ]);
    await assert.rejects(pgDdl.applyDdlPhase(pool, plan, 'post-load'), (err: unknown) => {
      assert.equal((err as { code?: string }).code, '23503');
      return true;
    });
    const state = async () =>
      (
        await pool.query<{ conname: string; convalidated: boolean }>(
          `SELECT conname::text, convalidated FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype IN ('f', 'c') ORDER BY 1`,
        )
      ).rows;
    assert.deepEqual(await state(), [
      { conname: 'child_parent_id_fkey', convalidated: false },
      { conname: 'qty_positive', convalidated: false },
    ]);
    await assert.rejects(execPostgres(dst.url, [`INSERT INTO child VALUES (3, 77, 1)`]), /foreign key/);

    await execPostgres(dst.url, [`DELETE FROM child WHERE id = 2`]);
    await pgDdl.applyDdlPhase(pool, plan, 'post-load');
    assert.deepEqual(await state(), [
      { conname: 'child_parent_id_fkey', convalidated: true },
      { conname: 'qty_positive', convalidated: true },
    ]);
  } finally {
    await pool.end();
    await srcEngine.close();
    await src.drop();
    await dst.drop();
  }
});
