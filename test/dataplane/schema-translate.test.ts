// Schema translation without a database: probe-refined mappings, mappings given by the planner,
// sequences for non-integer auto-increment keys, defaults, name limits and overrides.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTable } from '../../src/dataplane/planner/compatibility';
import { renderDdl } from '../../src/dataplane/schema/render';
import { SchemaTranslationError, translateSchema } from '../../src/dataplane/schema/translate';
import { col, index, pgCol, schema, table } from '../helpers/model-fixtures';

const sqlOf = (plan: ReturnType<typeof translateSchema>, kind: string, name?: string) =>
  plan.statements
    .filter((s) => s.object.kind === kind && (name === undefined || s.object.name === name))
    .map((s) => s.sql);

test('probe answers refine the mapping: a clean TINYINT(1) becomes boolean, its default true', () => {
  const source = schema('mysql', [
    table('flags', [col('id', 'int(11)', { nullable: false }), col('on', 'tinyint(1)', { default: '1' })], {
      primaryKey: ['id'],
    }),
  ]);
  const plan = translateSchema({
    source,
    targetEngine: 'postgres',
    targetSchema: 'public',
    probeResults: { flags: [{ column: 'on', kind: 'non-boolean', offendingRows: 0 }] },
  });
  const [create] = sqlOf(plan, 'table', 'flags');
  assert.match(create!, /"on" boolean DEFAULT true/);
  assert.doesNotMatch(create!, /flags_on_check/);
  const unprobed = translateSchema({ source, targetEngine: 'postgres', targetSchema: 'public' });
  assert.match(sqlOf(unprobed, 'table', 'flags')[0]!, /"on" smallint DEFAULT 1/);
});

test("the planner's mappings can be given: enum types are created in the target schema", () => {
  const t = table(
    'tickets',
    [col('id', 'int(11)', { nullable: false }), col('state', "enum('open','shut')")],
    {
      primaryKey: ['id'],
    },
  );
  const source = schema('mysql', [t]);
  const analysis = analyzeTable('mysql', 'postgres', t, [], source);
  const plan = translateSchema({
    source,
    targetEngine: 'postgres',
    targetSchema: 'app',
    mappings: { tickets: analysis.plan.mappings },
  });
  assert.deepEqual(sqlOf(plan, 'type'), [`CREATE TYPE "app"."tickets_state" AS ENUM ('open', 'shut')`]);
  assert.match(sqlOf(plan, 'table')[0]!, /"state" "app"\."tickets_state"/);
});

test('BIGINT UNSIGNED AUTO_INCREMENT: an owned sequence, set past the maximum and the source counter', () => {
  const source = schema('mysql', [
    table('big', [col('id', 'bigint(20) unsigned', { nullable: false, autoIncrement: true })], {
      primaryKey: ['id'],
      autoIncrement: 77,
    }),
  ]);
  const plan = translateSchema({ source, targetEngine: 'postgres', targetSchema: 'public' });
  assert.deepEqual(plan.created.sequences, ['big_id_seq']);
  assert.deepEqual(sqlOf(plan, 'sequence'), ['CREATE SEQUENCE IF NOT EXISTS "public"."big_id_seq"']);
  assert.match(
    sqlOf(plan, 'table')[0]!,
    /"id" numeric\(20,0\) DEFAULT nextval\('"public"\."big_id_seq"'::regclass\) NOT NULL/,
  );
  assert.deepEqual(sqlOf(plan, 'sequence-owner'), [
    'ALTER SEQUENCE "public"."big_id_seq" OWNED BY "public"."big"."id"',
  ]);
  const [finalize] = plan.statements.filter((s) => s.phase === 'finalize');
  assert.deepEqual(finalize!.reset, { table: 'big', column: 'id', sequence: 'big_id_seq', floor: '77' });
  assert.match(
    finalize!.sql,
    /'"public"\."big_id_seq"'::regclass AS seq, GREATEST\(COALESCE\(max\("id"\), 0\)::numeric \+ 1, 77\)/,
  );
});

test('defaults: literals and the current time translated, the rest dropped with a note', () => {
  const source = schema('mysql', [
    table(
      'd',
      [
        col('id', 'int(11)', { nullable: false }),
        col('born', 'date', { default: "'0000-00-00'" }),
        col('code', 'varchar(10)', { default: "'it''s \\\\ ok'" }),
        col('at', 'datetime(3)', { default: 'current_timestamp(3)' }),
        col('day', 'date', { default: 'curdate()' }),
        col('n', 'decimal(5,2)', { default: '1.50' }),
      ],
      { primaryKey: ['id'] },
    ),
  ]);
  const plan = translateSchema({ source, targetEngine: 'postgres', targetSchema: 'public' });
  const create = sqlOf(plan, 'table')[0]!;
  assert.match(create, /"code" character varying\(10\) DEFAULT 'it''s \\ ok'/);
  assert.match(create, /"at" timestamp\(3\) without time zone DEFAULT CURRENT_TIMESTAMP/);
  assert.match(create, /"n" numeric\(5,2\) DEFAULT 1\.50/);
  assert.doesNotMatch(create, /"born" date DEFAULT/);
  assert.doesNotMatch(create, /"day" date DEFAULT/);
  assert.ok(plan.notes.some((n) => /d\.default '0000-00-00' of born dropped: a zero date/.test(n)));
  assert.ok(
    plan.notes.some((n) => /default curdate\(\) of day dropped: it is an expression in MySQL SQL/.test(n)),
  );
});

test('index names: unique per PostgreSQL schema, cut to 63 bytes', () => {
  const long = 'x'.repeat(70);
  const source = schema('mysql', [
    table('a', [col('id', 'int(11)', { nullable: false }), col('v', 'int(11)')], {
      primaryKey: ['id'],
      indexes: [index('idx_v', ['v']), index(long, ['v', 'id'])],
    }),
    table('b', [col('id', 'int(11)', { nullable: false }), col('v', 'int(11)')], {
      primaryKey: ['id'],
      indexes: [index('idx_v', ['v']), index(long, ['v', 'id'])],
    }),
  ]);
  const plan = translateSchema({ source, targetEngine: 'postgres', targetSchema: 'public' });
  const names = plan.statements.filter((s) => s.object.kind === 'index').map((s) => s.object.name);
  assert.equal(new Set(names).size, names.length, 'all distinct');
  assert.ok(names.includes('idx_v') && names.includes('b_idx_v'));
  for (const n of names) assert.ok(Buffer.byteLength(n) <= 63, `${n} fits 63 bytes`);
});

test('a refused column is resolved by a type override; PostgreSQL identities beyond the first lose AUTO_INCREMENT on MySQL', () => {
  const source = schema('postgres', [
    table(
      'r',
      [
        pgCol('id', 'integer', 'integer', { nullable: false, autoIncrement: true, identity: 'always' }),
        pgCol('other', 'bigint', 'bigint', { autoIncrement: true, identity: 'by default' }),
        pgCol('span', 'int4range', 'int4range'),
      ],
      { primaryKey: ['id'] },
    ),
  ]);
  assert.throws(
    () => translateSchema({ source, targetEngine: 'mysql', targetSchema: 'shop' }),
    (err: unknown) =>
      err instanceof SchemaTranslationError && /r\.span: column span \(int4range\)/.test(err.message),
  );
  const plan = translateSchema({
    source,
    targetEngine: 'mysql',
    targetSchema: 'shop',
    overrides: { 'r.span': { type: 'varchar(40)' } },
  });
  const create = sqlOf(plan, 'table')[0]!;
  assert.match(create, /`span` varchar\(40\) NULL/);
  assert.match(create, /`id` int NOT NULL AUTO_INCREMENT/);
  assert.doesNotMatch(create, /`other` bigint NULL AUTO_INCREMENT/);
  assert.ok(plan.notes.some((n) => /r\.other: MySQL allows one AUTO_INCREMENT column/.test(n)));
  assert.match(renderDdl(plan), /ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;/);
});

test('CHECKs: translated after the load, refused with a note, replaced or dropped by checks overrides', () => {
  const t = table(
    'items',
    [
      col('id', 'int(11)', { nullable: false }),
      col('qty', 'int(11)'),
      col('name', 'varchar(20)'),
      col('old', 'int(11)'),
    ],
    {
      primaryKey: ['id'],
      checks: [
        { name: 'chk_qty', expression: '`qty` > 0' },
        { name: 'chk_name', expression: "`name` <> ''" },
        { name: 'chk_old', expression: '`old` > 0' },
        { name: 'chk_re', expression: "`name` regexp '^a'" },
      ],
    },
  );
  const source = schema('mysql', [t]);
  const plan = translateSchema({
    source,
    targetEngine: 'postgres',
    targetSchema: 'public',
    overrides: { 'items.old': { exclude: true } },
    checks: { 'items.chk_re': { expression: "name ~ '^a'" }, 'items.chk_old': { drop: true } },
  });
  assert.deepEqual(sqlOf(plan, 'check'), [
    `ALTER TABLE "public"."items" ADD CONSTRAINT "chk_qty" CHECK (("qty" > 0)) NOT VALID`,
    `ALTER TABLE "public"."items" ADD CONSTRAINT "chk_re" CHECK (name ~ '^a') NOT VALID`,
  ]);
  assert.deepEqual(sqlOf(plan, 'validate'), [
    `ALTER TABLE "public"."items" VALIDATE CONSTRAINT "chk_qty"`,
    `ALTER TABLE "public"."items" VALIDATE CONSTRAINT "chk_re"`,
  ]);
  assert.ok(plan.statements.filter((s) => s.object.kind === 'check').every((s) => s.phase === 'post-load'));
  const notes = plan.notes.join('\n');
  assert.match(
    notes,
    /items: CHECK chk_name \(`name` <> ''\) is not created: the comparison <> compares text in utf8mb4_general_ci.*checks\["items\.chk_name"\]\.expression/,
  );
  assert.match(
    notes,
    /items: CHECK chk_old \(`old` > 0\) is not created: dropped by checks\["items\.chk_old"\]/,
  );

  // Without the overrides, the CHECK on the excluded column is refused, not created broken.
  const bare = translateSchema({
    source,
    targetEngine: 'postgres',
    targetSchema: 'public',
    overrides: { 'items.old': { exclude: true } },
  });
  assert.match(bare.notes.join('\n'), /chk_old .*column old is not created on the target/);
  assert.match(bare.notes.join('\n'), /chk_re .*REGEXP/);

  // An override naming no CHECK is refused like a column override naming no column.
  assert.throws(
    () =>
      translateSchema({
        source,
        targetEngine: 'postgres',
        targetSchema: 'public',
        checks: { 'items.nope': { drop: true }, 'ghost.chk': { drop: true } },
      }),
    /checks\["items\.nope"\] names no CHECK constraint of table items.*checks\["ghost\.chk"\] names no CHECK constraint of a migrated table \(ghost is not one\)/,
  );
});

test('CHECKs from PostgreSQL to MySQL are not translated; an override gives the MySQL form; same engine copies', () => {
  const t = table(
    'items',
    [pgCol('id', 'integer', 'integer', { nullable: false }), pgCol('qty', 'integer', 'integer')],
    { primaryKey: ['id'], checks: [{ name: 'qty_positive', expression: '(qty > 0)' }] },
  );
  const source = schema('postgres', [t]);
  const plain = translateSchema({ source, targetEngine: 'mysql', targetSchema: 'shop' });
  assert.deepEqual(sqlOf(plain, 'check'), []);
  assert.match(
    plain.notes.join('\n'),
    /items: CHECK qty_positive \(\(qty > 0\)\) is not created: PostgreSQL CHECK expressions are not translated to MySQL; give its MySQL form in checks\["items\.qty_positive"\]\.expression/,
  );
  const overridden = translateSchema({
    source,
    targetEngine: 'mysql',
    targetSchema: 'shop',
    checks: { 'items.qty_positive': { expression: '`qty` > 0' } },
  });
  assert.deepEqual(sqlOf(overridden, 'check'), [
    'ALTER TABLE `shop`.`items` ADD CONSTRAINT `qty_positive` CHECK (`qty` > 0)',
  ]);
  const same = translateSchema({ source, targetEngine: 'postgres', targetSchema: 'app' });
  assert.deepEqual(sqlOf(same, 'check'), [
    'ALTER TABLE "app"."items" ADD CONSTRAINT "qty_positive" CHECK ((qty > 0)) NOT VALID',
  ]);
});
