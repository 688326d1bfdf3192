// Schema translation and apply, MySQL -> PostgreSQL, on the awkward sample shop: refusals named,
// overrides honoured, the target checked through introspection, idempotent re-runs, a crash
// mid-phase, the sequence reset and the compensation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { createSampleShop } from '../../scripts/sample-shop';
import { renderDdl } from '../../src/dataplane/schema/render';
import { SchemaTranslationError, translateSchema } from '../../src/dataplane/schema/translate';
import type { DdlPlan } from '../../src/engines/ddl-plan';
import type { SchemaModel, TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import {
  applyDdlPhase,
  applyDdlStatements,
  dropTargetObjects,
  existingTargetObjects,
  setSequencesPastMax,
} from '../../src/engines/postgres/ddl';
import { createPool, createPostgresEngine } from '../../src/engines/postgres/engine';
import {
  createPostgresDatabase,
  execPostgres,
  MYSQL_ADMIN_URL,
  uniqueName,
  type TestDatabase,
} from '../helpers/databases';

const LONG_TABLE = 'customer_marketing_preferences_by_channel_and_region_and_history';
const OVERRIDES = {
  'products.price_with_tax': { generatedExpression: 'price * 1.2' },
  'products.title_upper': { generatedExpression: 'upper(title)' },
  // A per-column type override: BINARY(16) holding a UUID kept as bytea, without the length CHECK.
  'products.uuid': { type: 'bytea' },
  'warehouses.location': { exclude: true },
};

let mysqlDb: string;
let target: TestDatabase;
let source: SchemaModel;
let pool: pg.Pool;
let plan: DdlPlan;

before(async () => {
  mysqlDb = uniqueName('cutover_ddl_shop');
  await createSampleShop(MYSQL_ADMIN_URL, mysqlDb, { customers: 200 });
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${mysqlDb}`;
  const engine = createMysqlEngine(url.toString());
  try {
    source = await engine.introspect();
  } finally {
    await engine.close();
  }
  target = await createPostgresDatabase('cutover_ddl_pg');
  await execPostgres(target.url, [`CREATE TABLE keep_me (id int PRIMARY KEY, note text)`]);
  pool = createPool(target.url);
  plan = translateSchema({
    source,
    targetEngine: 'postgres',
    targetSchema: 'public',
    tables: source.tables.map((t) => t.name).filter((n) => n !== LONG_TABLE),
    overrides: OVERRIDES,
  });
});

after(async () => {
  await pool?.end();
  await target?.drop();
  if (mysqlDb) {
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection(MYSQL_ADMIN_URL);
    await c.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
    await c.end();
  }
});

async function introspectTarget(): Promise<SchemaModel> {
  const engine = createPostgresEngine(target.url);
  try {
    return await engine.introspect({ schema: 'public' });
  } finally {
    await engine.close();
  }
}

function tableOf(model: SchemaModel, name: string): TableModel {
  const t = model.tables.find((x) => x.name === name);
  assert.ok(t, `table ${name} exists`);
  return t;
}

/** What must not change between applies: names and definitions, not statistics. */
function shape(model: SchemaModel) {
  return model.tables.map((t) => ({
    name: t.name,
    columns: t.columns.map((c) => [c.name, c.nativeType, c.nullable, c.default, c.generated, c.identity]),
    primaryKey: t.primaryKey,
    indexes: t.indexes,
    foreignKeys: t.foreignKeys,
    checks: t.checks,
  }));
}

test('without overrides, every refusal is named at once and nothing is translated', () => {
  assert.throws(
    () => translateSchema({ source, targetEngine: 'postgres', targetSchema: 'public' }),
    (err: unknown) => {
      assert.ok(err instanceof SchemaTranslationError);
      assert.equal(err.name, 'SchemaTranslationError');
      assert.match(err.message, new RegExp(`table ${LONG_TABLE} is too long for PostgreSQL`));
      assert.match(err.message, /products\.price_with_tax is a generated column/);
      assert.match(err.message, /products\.title_upper is a generated column/);
      assert.match(err.message, /columns\["products\.price_with_tax"\]\.generatedExpression/);
      return true;
    },
  );
});

test('an override that names no column is refused', () => {
  assert.throws(
    () =>
      translateSchema({
        source,
        targetEngine: 'postgres',
        targetSchema: 'public',
        tables: ['customers'],
        overrides: { 'customers.nope': { exclude: true }, 'ghost.x': { type: 'int' } },
      }),
    /columns\["customers\.nope"\] names no column of table customers.*columns\["ghost\.x"\]/,
  );
});

test('the plan: phases in order, each statement described, review text rendered', () => {
  const phases = plan.statements.map((s) => s.phase);
  assert.deepEqual(
    [...new Set(phases)],
    ['tables', 'post-load', 'finalize'],
    'phases come in order and are not interleaved',
  );
  for (const s of plan.statements) {
    assert.ok(s.description.length > 0);
    assert.ok(s.object.name.length > 0);
  }
  assert.deepEqual(plan.created.types.sort(), ['customers_status', 'orders_status']);
  assert.ok(plan.created.tables.includes('customers') && !plan.created.tables.includes(LONG_TABLE));
  const text = renderDdl(plan);
  assert.match(text, /=== tables: /);
  assert.match(text, /CREATE TYPE "public"\."customers_status" AS ENUM \('active', 'suspended', 'closed'\);/);
  assert.match(text, /FULLTEXT: no PostgreSQL equivalent/);
  assert.match(text, /idx_title_prefix is a prefix index/);
  assert.match(
    text,
    /fk_shipments_order_ref references orders \(external_ref\), which is not a primary or unique key/,
  );
  assert.match(text, /-- check chk_qty on order_items \(NOT VALID, translated from MySQL `qty` > 0\)/);
  assert.match(text, /ADD CONSTRAINT "chk_qty" CHECK \(\("qty" > 0\)\) NOT VALID;/);
  assert.match(text, /warehouses\.location: excluded by override/);
  const products = plan.tables.find((t) => t.source === 'products')!;
  assert.deepEqual(
    products.columns.filter((c) => c.generated).map((c) => c.target),
    ['price_with_tax', 'title_upper'],
  );
});

test('tables and post-load create what the plan says, checked by introspection', async () => {
  assert.deepEqual(await existingTargetObjects(pool, plan), [], 'no name conflict before the first apply');
  const tablesResult = await applyDdlPhase(pool, plan, 'tables');
  assert.equal(tablesResult.skipped, 0);
  await applyDdlPhase(pool, plan, 'post-load');
  const model = await introspectTarget();
  assert.deepEqual(model.tables.map((t) => t.name).sort(), [...plan.created.tables, 'keep_me'].sort());

  const customers = tableOf(model, 'customers');
  const col = (t: TableModel, n: string) => t.columns.find((c) => c.name === n)!;
  assert.equal(col(customers, 'id').nativeType, 'bigint');
  assert.equal(col(customers, 'id').identity, 'by default');
  assert.equal(col(customers, 'status').nativeType, 'customers_status');
  assert.deepEqual(col(customers, 'status').enumValues, ['active', 'suspended', 'closed']);
  assert.equal(col(customers, 'status').default, "'active'::customers_status");
  assert.equal(col(customers, 'loyalty_points').nativeType, 'numeric(20,0)');
  assert.equal(col(customers, 'created_at').default, 'CURRENT_TIMESTAMP');
  assert.equal(col(customers, 'email').nullable, false);
  assert.equal(col(customers, 'birthday').nullable, true);
  assert.equal(col(customers, 'prefs').nativeType, 'jsonb');
  assert.equal(customers.comment, 'people who buy things');
  assert.deepEqual(customers.primaryKey, ['id']);
  assert.deepEqual(
    customers.uniqueKeys.map((k) => [k.name, k.columns]),
    [['uq_email', ['email']]],
  );
  assert.ok(
    customers.checks.some((c) => c.name === 'customers_id_check1' && /4294967295/.test(c.expression)),
  );

  const products = tableOf(model, 'products');
  assert.deepEqual(col(products, 'price_with_tax').generated, { expression: '(price * 1.2)', stored: true });
  assert.equal(col(products, 'tags').nativeType, 'text[]');
  assert.equal(col(products, 'tags').default, "'{}'::text[]");
  assert.equal(col(products, 'uuid').nativeType, 'bytea');
  assert.ok(!products.checks.some((c) => c.name.startsWith('products_uuid')), 'override dropped the CHECK');
  assert.deepEqual(
    products.indexes.filter((i) => !i.primary).map((i) => [i.name, i.columns.map((c) => c.column)]),
    [
      ['idx_title_prefix', ['title']],
      ['uq_sku', ['sku']],
    ],
    'prefix index on the full column; FULLTEXT skipped',
  );
  assert.ok(!tableOf(model, 'warehouses').columns.some((c) => c.name === 'location'));

  // idx_created exists on customers and orders: unique per schema on PostgreSQL.
  assert.ok(customers.indexes.some((i) => i.name === 'idx_created'));
  assert.ok(tableOf(model, 'orders').indexes.some((i) => i.name === 'orders_idx_created'));
  assert.equal(tableOf(model, 'audit_log').primaryKey, null);

  const orders = tableOf(model, 'orders');
  assert.deepEqual(
    orders.foreignKeys.map((f) => [f.name, f.columns, f.referencedTable, f.referencedColumns]),
    [['fk_orders_customer', ['customer_id'], 'customers', ['id']]],
  );
  const items = tableOf(model, 'order_items');
  assert.equal(items.foreignKeys.find((f) => f.name === 'fk_items_order')?.onDelete, 'CASCADE');
  assert.deepEqual(
    items.checks.filter((c) => c.name === 'chk_qty'),
    [{ name: 'chk_qty', expression: 'qty > 0' }],
    "the source's CHECK, translated and validated",
  );
  assert.deepEqual(tableOf(model, 'shipments').foreignKeys, [], 'FK to a non-unique key not created');
  // The FK cycle warehouses <-> employees is created after the tables.
  assert.equal(tableOf(model, 'warehouses').foreignKeys[0]?.referencedTable, 'employees');
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' AND c.contype = 'f' AND NOT c.convalidated`,
  );
  assert.equal(Number(rows[0]!.n), 0, 'every foreign key is validated');
});

test('applying again changes nothing and fails on nothing', async () => {
  const before = shape(await introspectTarget());
  const t = await applyDdlPhase(pool, plan, 'tables');
  assert.equal(t.applied + t.skipped, plan.statements.filter((s) => s.phase === 'tables').length);
  assert.ok(t.skipped >= plan.created.types.length, 'the enum types are seen and skipped');
  const p = await applyDdlPhase(pool, plan, 'post-load');
  assert.ok(p.skipped > 0, 'existing constraints are skipped');
  assert.deepEqual(shape(await introspectTarget()), before);
});

test('finalize sets identities past the copied maximum (and past the source counter)', async () => {
  await execPostgres(target.url, [
    `INSERT INTO customers (id, email, name) VALUES (500, 'a@x', 'a'), (7, 'b@x', 'b')`,
    `INSERT INTO shipments (id, order_ref, shipped_on) VALUES (3, 'R1', '2025-01-01')`,
  ]);
  await setSequencesPastMax(pool, plan);
  await setSequencesPastMax(pool, plan); // idempotent
  const next = async (sql: string) => (await pool.query<{ id: string }>(sql)).rows[0]!.id;
  assert.equal(
    await next(`INSERT INTO customers (email, name) VALUES ('c@x', 'c') RETURNING id`),
    '501',
    'max + 1',
  );
  const shipmentsFloor = source.tables.find((t) => t.name === 'shipments')!.autoIncrement!;
  assert.equal(
    await next(`INSERT INTO shipments (order_ref, shipped_on) VALUES ('R2', '2025-01-02') RETURNING id`),
    String(shipmentsFloor),
    'the source counter when it is past the copied maximum',
  );
  await execPostgres(target.url, [`DELETE FROM shipments`, `DELETE FROM customers`]);
});

test('a crash mid-phase: half the statements, then the whole phase, completes without error', async () => {
  const reference = shape(await introspectTarget());
  await dropTargetObjects(pool, plan);
  for (const phase of ['tables', 'post-load'] as const) {
    const statements = plan.statements.filter((s) => s.phase === phase);
    const half = statements.slice(0, Math.ceil(statements.length / 2));
    await applyDdlStatements(pool, plan, half);
    const r = await applyDdlPhase(pool, plan, phase);
    const creating = half.filter((s) => !['comment', 'sequence-owner', 'validate'].includes(s.object.kind));
    assert.equal(r.skipped, creating.length, `${phase}: what the first half created is skipped`);
    assert.equal(r.applied + r.skipped, statements.length);
  }
  assert.deepEqual(shape(await introspectTarget()), reference);
});

test('dropTargetObjects removes exactly what the plan created, twice without error', async () => {
  await dropTargetObjects(pool, plan);
  await dropTargetObjects(pool, plan);
  const model = await introspectTarget();
  assert.deepEqual(
    model.tables.map((t) => t.name),
    ['keep_me'],
  );
  assert.deepEqual(model.sequences, []);
  const { rows } = await pool.query(
    `SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype = 'e'`,
  );
  assert.deepEqual(rows, []);
  assert.deepEqual(await existingTargetObjects(pool, plan), []);
});
