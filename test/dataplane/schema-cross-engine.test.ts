// Schema translation and apply between engines with hostile identifiers (quotes, backticks,
// spaces, non-ASCII) and a target schema other than the default: MySQL -> PostgreSQL into a
// schema whose name needs quoting, and PostgreSQL -> MySQL with defaults, enums and identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { translateSchema } from '../../src/dataplane/schema/translate';
import { DDL_PHASES } from '../../src/engines/ddl-plan';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import * as myDdl from '../../src/engines/mysql/ddl';
import * as pgDdl from '../../src/engines/postgres/ddl';
import { createPool, createPostgresEngine } from '../../src/engines/postgres/engine';
import { createMysqlDatabase, createPostgresDatabase, execMysql, execPostgres } from '../helpers/databases';

const PARENT = 'pa"rent ñ';
const CHILD = 'o"dd `t` ñ';
const SCHEMA = 'sh"op ü';

test('MySQL -> PostgreSQL: hostile table, column, index, enum and constraint names survive', async () => {
  const src = await createMysqlDatabase('cutover_ddl_hostile_my');
  const dst = await createPostgresDatabase('cutover_ddl_hostile_pg');
  const srcEngine = createMysqlEngine(src.url);
  const dstEngine = createPostgresEngine(dst.url);
  const pool = createPool(dst.url);
  const q = (n: string) => '`' + n.replaceAll('`', '``') + '`';
  try {
    await execMysql(src.url, [
      `CREATE TABLE ${q(PARENT)} (${q('i"d')} INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ${q('na me')} VARCHAR(20) NOT NULL DEFAULT 'it''s')`,
      `CREATE TABLE ${q(CHILD)} (
         id INT NOT NULL PRIMARY KEY,
         ${q('se"l`ect')} VARCHAR(30) NOT NULL DEFAULT 'back\\\\slash',
         ${q('st"at')} ENUM('a', 'b''c', 'd"e') NOT NULL DEFAULT 'b''c',
         ${q('pa"rent_id')} INT UNSIGNED NULL,
         KEY ${q('i"x')} (${q('se"l`ect')}),
         UNIQUE KEY ${q('u`q')} (${q('st"at')}, id),
         CONSTRAINT ${q('f"k')} FOREIGN KEY (${q('pa"rent_id')}) REFERENCES ${q(PARENT)} (${q('i"d')})
       ) COMMENT = 'a ''quoted'' comment'`,
      `INSERT INTO ${q(PARENT)} (${q('i"d')}) VALUES (5)`,
    ]);
    await execPostgres(dst.url, [`CREATE SCHEMA "${SCHEMA.replaceAll('"', '""')}"`]);
    const source = await srcEngine.introspect();
    const plan = translateSchema({ source, targetEngine: 'postgres', targetSchema: SCHEMA });
    for (const phase of DDL_PHASES) await pgDdl.applyDdlPhase(pool, plan, phase);
    for (const phase of DDL_PHASES) await pgDdl.applyDdlPhase(pool, plan, phase);

    const model = await dstEngine.introspect({ schema: SCHEMA });
    assert.deepEqual(model.tables.map((t) => t.name).sort(), [CHILD, PARENT].sort());
    const child = model.tables.find((t) => t.name === CHILD)!;
    assert.deepEqual(
      child.columns.map((c) => c.name),
      ['id', 'se"l`ect', 'st"at', 'pa"rent_id'],
    );
    const stat = child.columns.find((c) => c.name === 'st"at')!;
    assert.deepEqual(stat.enumValues, ['a', "b'c", 'd"e']);
    assert.equal(plan.created.types[0], `${CHILD}_st"at`);
    assert.equal(
      child.columns.find((c) => c.name === 'se"l`ect')!.default,
      "'back\\slash'::character varying",
    );
    assert.equal(child.comment, "a 'quoted' comment");
    assert.deepEqual(
      child.indexes.filter((i) => !i.primary).map((i) => i.name),
      ['f"k', 'i"x', 'u`q'],
    );
    assert.deepEqual(
      child.foreignKeys.map((f) => [f.name, f.referencedTable, f.referencedColumns]),
      [['f"k', PARENT, ['i"d']]],
    );
    const parent = model.tables.find((t) => t.name === PARENT)!;
    assert.equal(parent.columns[1]!.default, `'it''s'::character varying`);

    await pgDdl.setSequencesPastMax(pool, plan);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO "${SCHEMA.replaceAll('"', '""')}"."${PARENT.replaceAll('"', '""')}" DEFAULT VALUES RETURNING "i""d" AS id`,
    );
    assert.equal(rows[0]!.id, '6', 'identity continues past the source counter');

    await pgDdl.dropTargetObjects(pool, plan);
    const after = await dstEngine.introspect({ schema: SCHEMA });
    assert.deepEqual(after.tables, []);
  } finally {
    await pool.end();
    await srcEngine.close();
    await dstEngine.close();
    await src.drop();
    await dst.drop();
  }
});

test('PostgreSQL -> MySQL: booleans, enums, identity, timestamps and defaults, hostile names', async () => {
  const src = await createPostgresDatabase('cutover_ddl_pg2my');
  const dst = await createMysqlDatabase('cutover_ddl_pg2my');
  const srcEngine = createPostgresEngine(src.url);
  const dstEngine = createMysqlEngine(dst.url);
  const pool = mysql.createPool({ uri: dst.url, connectionLimit: 1 });
  try {
    await execPostgres(src.url, [
      `CREATE TYPE "mo""od" AS ENUM ('sad', 'ok')`,
      `CREATE TABLE "pa""rent" (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code varchar(10) NOT NULL UNIQUE)`,
      `CREATE TABLE "ch""ild" (
         id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         active boolean NOT NULL DEFAULT true,
         feeling "mo""od" NOT NULL DEFAULT 'ok',
         "na""me" varchar(50) DEFAULT 'x''y',
         body text,
         amount numeric(10,2) DEFAULT 0,
         created timestamptz NOT NULL DEFAULT now(),
         parent_id integer REFERENCES "pa""rent" (id) ON DELETE SET NULL
       )`,
      `CREATE INDEX "by ""name""" ON "ch""ild" ("na""me")`,
      `CREATE INDEX by_body ON "ch""ild" (body)`,
      `COMMENT ON COLUMN "ch""ild".body IS 'free text'`,
      `INSERT INTO "pa""rent" (code) VALUES ('a'), ('b'), ('c')`,
    ]);
    const source = await srcEngine.introspect();
    const plan = translateSchema({ source, targetEngine: 'mysql', targetSchema: dst.name });
    assert.ok(
      plan.notes.some((n) => /index by_body covers body \(longtext/.test(n)),
      'a text index MySQL cannot hold is skipped with a note',
    );
    const conn = await pool.getConnection();
    try {
      for (const phase of DDL_PHASES) await myDdl.applyDdlPhase(conn, plan, phase);
      for (const phase of DDL_PHASES) await myDdl.applyDdlPhase(conn, plan, phase);
    } finally {
      conn.release();
    }
    const model = await dstEngine.introspect();
    const child = model.tables.find((t) => t.name === 'ch"ild')!;
    const col = (n: string) => child.columns.find((c) => c.name === n)!;
    assert.equal(col('id').nativeType, 'bigint(20)');
    assert.equal(col('id').autoIncrement, true);
    assert.equal(col('active').nativeType, 'tinyint(1)');
    assert.equal(col('active').default, '1');
    assert.equal(col('feeling').nativeType, "enum('sad','ok')");
    assert.equal(col('feeling').default, "'ok'");
    assert.equal(col('na"me').default, "'x''y'");
    assert.equal(col('na"me').collation, 'utf8mb4_bin');
    assert.equal(col('created').nativeType, 'datetime(6)');
    assert.match(col('created').default ?? '', /^current_timestamp\(6\)$/i);
    assert.equal(col('body').comment, 'free text');
    assert.deepEqual(
      child.indexes.filter((i) => !i.primary).map((i) => i.name),
      ['by "name"', 'ch"ild_parent_id_fkey'],
    );
    assert.deepEqual(
      child.foreignKeys.map((f) => [f.name, f.referencedTable, f.onDelete]),
      [['ch"ild_parent_id_fkey', 'pa"rent', 'SET NULL']],
    );
    assert.ok(child.checks.some((c) => /`active` in \(0,1\)/i.test(c.expression)));
    const parent = model.tables.find((t) => t.name === 'pa"rent')!;
    assert.equal(parent.autoIncrement, 4, 'AUTO_INCREMENT past the source sequence');
    assert.deepEqual(
      parent.uniqueKeys.map((k) => k.columns),
      [['code']],
    );

    const c2 = await pool.getConnection();
    try {
      await myDdl.dropTargetObjects(c2, plan);
    } finally {
      c2.release();
    }
    assert.deepEqual((await dstEngine.introspect()).tables, []);
  } finally {
    await pool.end();
    await srcEngine.close();
    await dstEngine.close();
    await src.drop();
    await dst.drop();
  }
});
