// A DDL must never queue behind a long transaction (and block every query behind itself): with a
// transaction holding a conflicting lock, the apply fails fast with a lock timeout that the caller
// can recognise and retry; once the transaction ends the retry completes the phase.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { translateSchema } from '../../src/dataplane/schema/translate';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import * as myDdl from '../../src/engines/mysql/ddl';
import * as pgDdl from '../../src/engines/postgres/ddl';
import { createPool, createPostgresEngine } from '../../src/engines/postgres/engine';
import { createMysqlDatabase, createPostgresDatabase, execMysql, execPostgres } from '../helpers/databases';

test('PostgreSQL: a post-load DDL behind a long transaction times out quickly, then succeeds on retry', async () => {
  const src = await createPostgresDatabase('cutover_ddl_lock_src');
  const dst = await createPostgresDatabase('cutover_ddl_lock_dst');
  const srcEngine = createPostgresEngine(src.url);
  const pool = createPool(dst.url);
  const holder = new pg.Client({ connectionString: dst.url });
  try {
    await execPostgres(src.url, [
      `CREATE TABLE parent (id integer PRIMARY KEY)`,
      `CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), note text)`,
      `CREATE INDEX child_note_idx ON child (note)`,
    ]);
    const plan = translateSchema({
      source: await srcEngine.introspect(),
      targetEngine: 'postgres',
      targetSchema: 'public',
    });
    await pgDdl.applyDdlPhase(pool, plan, 'tables');
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO child (id, note) VALUES (1, 'open transaction')`);

    const started = Date.now();
    await assert.rejects(pgDdl.applyDdlPhase(pool, plan, 'post-load', { lockTimeoutMs: 200 }), (err) => {
      assert.ok(pgDdl.isLockTimeout(err), `a lock timeout: ${String(err)}`);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'it gave up quickly instead of queueing');
    // Meanwhile the application is not blocked behind a waiting DDL.
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM child`);
    assert.equal(rows[0]!.n, '0');

    await holder.query('COMMIT');
    const r = await pgDdl.applyDdlPhase(pool, plan, 'post-load', { lockTimeoutMs: 200 });
    assert.equal(r.applied + r.skipped, plan.statements.filter((s) => s.phase === 'post-load').length);
  } finally {
    await holder.end().catch(() => undefined);
    await pool.end();
    await srcEngine.close();
    await src.drop();
    await dst.drop();
  }
});

test('MySQL: a DDL behind a long transaction times out after lock_wait_timeout, then succeeds on retry', async () => {
  const src = await createMysqlDatabase('cutover_ddl_lock_mysrc');
  const dst = await createMysqlDatabase('cutover_ddl_lock_mydst');
  const srcEngine = createMysqlEngine(src.url);
  const pool = mysql.createPool({ uri: dst.url, connectionLimit: 1 });
  const holder = await mysql.createConnection({ uri: dst.url });
  try {
    await execMysql(src.url, [
      `CREATE TABLE parent (id INT PRIMARY KEY)`,
      `CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, note VARCHAR(20), KEY child_note (note),
         CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))`,
    ]);
    const plan = translateSchema({
      source: await srcEngine.introspect(),
      targetEngine: 'mysql',
      targetSchema: dst.name,
    });
    const conn = await pool.getConnection();
    try {
      const timeout = async () => (await conn.query('SELECT @@SESSION.lock_wait_timeout AS t'))[0];
      const original = await timeout();
      await myDdl.applyDdlPhase(conn, plan, 'tables');
      assert.deepEqual(await timeout(), original, 'the session setting is put back');
      await holder.query('START TRANSACTION');
      await holder.query('SELECT * FROM child'); // holds a metadata lock until the transaction ends
      const started = Date.now();
      await assert.rejects(
        myDdl.applyDdlPhase(conn, plan, 'post-load', { lockWaitTimeoutSeconds: 1 }),
        (err) => {
          assert.ok(myDdl.isLockTimeout(err), `a lock timeout: ${String(err)}`);
          return true;
        },
      );
      assert.ok(Date.now() - started < 10_000, 'it gave up instead of queueing');
      await holder.query('COMMIT');
      const r = await myDdl.applyDdlPhase(conn, plan, 'post-load', { lockWaitTimeoutSeconds: 1 });
      assert.equal(r.applied + r.skipped, plan.statements.filter((s) => s.phase === 'post-load').length);
    } finally {
      conn.release();
    }
  } finally {
    await holder.end().catch(() => undefined);
    await pool.end();
    await srcEngine.close();
    await src.drop();
    await dst.drop();
  }
});
