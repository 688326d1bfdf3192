// Foreign keys on PostgreSQL are added NOT VALID and validated by a separate statement: a row that
// breaks the constraint fails the VALIDATE (the constraint stays, NOT VALID, still enforced for new
// rows); once the data is fixed, re-running the phase validates it. On both engines a constraint the
// rows violate leaves as ConstraintNotMet, naming the statement and never the rows' values (the
// workflow catches up and tries again on exactly this error).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { translateSchema } from '../../src/dataplane/schema/translate';
import { ConstraintNotMet } from '../../src/engines/errors';
import * as myDdl from '../../src/engines/mysql/ddl';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import * as pgDdl from '../../src/engines/postgres/ddl';
import { createPool, createPostgresEngine } from '../../src/engines/postgres/engine';
import { createMysqlDatabase, createPostgresDatabase, execMysql, execPostgres } from '../helpers/databases';

/** `secret`: a row value the driver's own message quotes, which must not be carried on. */
function constraintNotMet(statement: RegExp, code: RegExp, secret?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ConstraintNotMet, `ConstraintNotMet: ${String(err)}`);
    assert.match(err.code, code);
    assert.match(err.statement, statement);
    assert.match(err.message, statement);
    if (secret) assert.ok(!err.message.includes(secret), `no row value in: ${err.message}`);
    return true;
  };
}

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
      `INSERT INTO child VALUES (1, 1, 5), (2, 987654, 5)`,
    ]);
    await assert.rejects(
      pgDdl.applyDdlPhase(pool, plan, 'post-load'),
      constraintNotMet(/validate foreign key child_parent_id_fkey on child/, /^23503$/),
    );
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

test('MySQL: a duplicate, an orphan and a failing CHECK fail their key or constraint as ConstraintNotMet, without the values', async () => {
  const src = await createMysqlDatabase('cutover_ddl_val_mysrc');
  const dst = await createMysqlDatabase('cutover_ddl_val_mydst');
  const srcEngine = createMysqlEngine(src.url);
  const pool = mysql.createPool({ uri: dst.url, connectionLimit: 1 });
  const conn = await pool.getConnection();
  try {
    await execMysql(src.url, [
      `CREATE TABLE parent (id INT PRIMARY KEY)`,
      `CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, email VARCHAR(40), qty INT,
         UNIQUE KEY child_email (email),
         CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
         CONSTRAINT qty_positive CHECK (qty > 0))`,
    ]);
    const plan = translateSchema({
      source: await srcEngine.introspect(),
      targetEngine: 'mysql',
      targetSchema: dst.name,
    });
    await myDdl.applyDdlPhase(conn, plan, 'tables');
    await execMysql(dst.url, [
      `INSERT INTO parent VALUES (1)`,
      `INSERT INTO child VALUES (1, 1, 'a@x', 1), (2, 1, 'secret-dup@x', 1), (3, 1, 'secret-dup@x', 1)`,
    ]);
    await assert.rejects(
      myDdl.applyDdlPhase(conn, plan, 'post-load'),
      constraintNotMet(/child_email/, /^errno 1062$/, 'secret-dup'),
    );
    await execMysql(dst.url, [
      `DELETE FROM child WHERE id = 3`,
      `INSERT INTO child VALUES (4, 987654, 'b@x', 1)`,
    ]);
    await assert.rejects(
      myDdl.applyDdlPhase(conn, plan, 'post-load'),
      constraintNotMet(/fk_child_parent/, /^errno 1452$/),
    );
    await execMysql(dst.url, [
      `DELETE FROM child WHERE id = 4`,
      `INSERT INTO child VALUES (5, 1, 'c@x', -7)`,
    ]);
    // MariaDB: 4025 (23000); MySQL 8: 3819.
    await assert.rejects(
      myDdl.applyDdlPhase(conn, plan, 'post-load'),
      constraintNotMet(/qty_positive/, /^errno (4025|3819)$/),
    );
    await execMysql(dst.url, [`DELETE FROM child WHERE id = 5`]);
    await myDdl.applyDdlPhase(conn, plan, 'post-load');
    await assert.rejects(execMysql(dst.url, [`INSERT INTO child VALUES (6, 42, 'd@x', 1)`]), /foreign key/i);
  } finally {
    conn.release();
    await pool.end();
    await srcEngine.close();
    await src.drop();
    await dst.drop();
  }
});

test('PostgreSQL: a foreign key and a CHECK that are NOT VALID on the source stay NOT VALID on the target, with a note', async () => {
  const src = await createPostgresDatabase('cutover_ddl_nv_src');
  const dst = await createPostgresDatabase('cutover_ddl_nv_dst');
  const srcEngine = createPostgresEngine(src.url);
  const pool = createPool(dst.url);
  try {
    await execPostgres(src.url, [
      `CREATE TABLE parent (id integer PRIMARY KEY)`,
      `CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL, qty integer)`,
      `INSERT INTO parent VALUES (1)`,
      `INSERT INTO child VALUES (1, 1, 5), (2, 42, -1)`,
      `ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID`,
      `ALTER TABLE child ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID`,
    ]);
    const plan = translateSchema({
      source: await srcEngine.introspect(),
      targetEngine: 'postgres',
      targetSchema: 'public',
    });
    assert.deepEqual(
      plan.statements.filter((s) => s.object.kind === 'validate'),
      [],
      'nothing validates what the source never validated',
    );
    assert.ok(plan.notes.some((n) => /child: foreign key child_parent is NOT VALID on the source/.test(n)));
    assert.ok(plan.notes.some((n) => /child: CHECK qty_positive is NOT VALID on the source/.test(n)));
    await pgDdl.applyDdlPhase(pool, plan, 'tables');
    await execPostgres(dst.url, [
      `INSERT INTO parent VALUES (1)`,
      `INSERT INTO child VALUES (1, 1, 5), (2, 42, -1)`,
    ]);
    await pgDdl.applyDdlPhase(pool, plan, 'post-load');
    const { rows } = await pool.query<{ conname: string; convalidated: boolean }>(
      `SELECT conname::text, convalidated FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype IN ('f', 'c') ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { conname: 'child_parent', convalidated: false },
      { conname: 'qty_positive', convalidated: false },
    ]);
    await assert.rejects(execPostgres(dst.url, [`INSERT INTO child VALUES (3, 77, 1)`]), /foreign key/);
  } finally {
    await pool.end();
    await srcEngine.close();
    await src.drop();
    await dst.drop();
  }
});
