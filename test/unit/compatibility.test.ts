// Per-table compatibility analysis and schema-wide identifier checks, on hand-built models of the
// sample shop's awkward parts (scripts/sample-shop.ts) and of PostgreSQL sources.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProbeResult } from '../../src/engines/engine';
import type { EngineKind, SchemaModel, TableModel } from '../../src/engines/model';
import type { Finding } from '../../src/spec/plan-report';
import { analyzeTable, identifierFindings, probesFor } from '../../src/dataplane/planner/compatibility';
import { col, index, pgCol, schema, table } from '../helpers/model-fixtures';

const LONG_TABLE = 'customer_marketing_preferences_by_channel_and_region_and_history'; // 64 bytes

function shop(): SchemaModel {
  const customers = table(
    'customers',
    [
      col('id', 'int(10) unsigned', { nullable: false, autoIncrement: true }),
      col('email', 'varchar(191)', { nullable: false }),
      col('name', 'varchar(100)', { nullable: false }),
      col('is_active', 'tinyint(1)', { nullable: false, default: '1' }),
      col('loyalty_points', 'bigint(20) unsigned', { nullable: false }),
      col('country', 'char(2)', { nullable: false, charset: 'latin1', collation: 'latin1_swedish_ci' }),
      col('status', "enum('active','suspended','closed')", { nullable: false }),
      col('birthday', 'date'),
      col('created_at', 'datetime', { nullable: false }),
      col('last_login', 'timestamp'),
      col('notes', 'text'),
      col('prefs', 'longtext', { isJson: true, collation: 'utf8mb4_bin' }),
    ],
    {
      primaryKey: ['id'],
      uniqueKeys: [{ name: 'uq_email', columns: ['email'] }],
      indexes: [index('uq_email', ['email'], { unique: true }), index('idx_created', ['created_at'])],
      checks: [{ name: 'prefs', expression: 'json_valid(`prefs`)' }],
      rowEstimate: 1000,
    },
  );
  const products = table(
    'products',
    [
      col('id', 'bigint(20) unsigned', { nullable: false }),
      col('title', 'varchar(200)', { nullable: false }),
      col('description', 'text'),
      col('price_with_tax', 'decimal(12,2)', { generated: { expression: '`price` * 1.2', stored: true } }),
    ],
    {
      primaryKey: ['id'],
      indexes: [
        index('idx_title_prefix', [['title', 10]]),
        index('ft_description', ['description'], { method: 'fulltext' }),
      ],
    },
  );
  const orders = table(
    'orders',
    [
      col('id', 'int(10) unsigned', { nullable: false, autoIncrement: true }),
      col('customer_id', 'int(10) unsigned', { nullable: false }),
      col('external_ref', 'varchar(32)', { nullable: false }),
      col('placed_at', 'datetime(6)', { nullable: false }),
    ],
    {
      primaryKey: ['id'],
      indexes: [index('idx_created', ['placed_at']), index('idx_external_ref', ['external_ref'])],
      foreignKeys: [fk('fk_orders_customer', ['customer_id'], 'customers', ['id'])],
    },
  );
  const shipments = table(
    'shipments',
    [
      col('id', 'int(10) unsigned', { nullable: false }),
      col('order_ref', 'varchar(32)', { nullable: false }),
    ],
    {
      primaryKey: ['id'],
      foreignKeys: [fk('fk_shipments_order_ref', ['order_ref'], 'orders', ['external_ref'], false)],
    },
  );
  const warehouses = table(
    'warehouses',
    [col('id', 'int(11)', { nullable: false }), col('location', 'point')],
    {
      primaryKey: ['id'],
      indexes: [index('sp_location', ['location'], { method: 'spatial' })],
    },
  );
  const auditLog = table(
    'audit_log',
    [col('logged_at', 'datetime', { nullable: false }), col('message', 'text')],
    {
      rowEstimate: 5000,
    },
  );
  const legacy = table('legacy_sessions', [col('token', 'char(32)', { nullable: false })], {
    primaryKey: ['token'],
    storageEngine: 'MyISAM',
  });
  const marketing = table(
    LONG_TABLE,
    [
      col('customer_id', 'int(10) unsigned', { nullable: false }),
      col('opted_in', 'tinyint(1)', { nullable: false }),
    ],
    { primaryKey: ['customer_id'], indexes: [index('idx_created', ['opted_in'])] },
  );
  return schema('mysql', [customers, products, orders, shipments, warehouses, auditLog, legacy, marketing]);
}

function fk(
  name: string,
  columns: string[],
  referencedTable: string,
  referencedColumns: string[],
  unique = true,
) {
  return {
    name,
    columns,
    referencedSchema: 'shop',
    referencedTable,
    referencedColumns,
    onUpdate: 'RESTRICT',
    onDelete: 'RESTRICT',
    referencesUniqueKey: unique,
  };
}

const tableOf = (s: SchemaModel, name: string): TableModel => s.tables.find((t) => t.name === name)!;
const analyze = (
  s: SchemaModel,
  name: string,
  results: ProbeResult[] = [],
  from: EngineKind = 'mysql',
  to: EngineKind = 'postgres',
) => analyzeTable(from, to, tableOf(s, name), results, s);
const find = (findings: Finding[], code: string, column?: string) =>
  findings.filter((f) => f.code === code && (column === undefined || f.column === column));
const one = (findings: Finding[], code: string, column?: string): Finding => {
  const hits = find(findings, code, column);
  assert.equal(
    hits.length,
    1,
    `expected one ${code}${column ? ` on ${column}` : ''}, got ${JSON.stringify(findings.map((f) => `${f.code}:${f.column ?? ''}`))}`,
  );
  return hits[0]!;
};

test('probesFor lists every probe the table needs, and none for generated columns', () => {
  const s = shop();
  assert.deepEqual(probesFor('mysql', 'postgres', tableOf(s, 'customers')), [
    { column: 'email', kind: 'nul-byte' },
    { column: 'email', kind: 'trailing-space' },
    { column: 'name', kind: 'nul-byte' },
    { column: 'name', kind: 'trailing-space' },
    { column: 'is_active', kind: 'non-boolean' },
    { column: 'country', kind: 'nul-byte' },
    { column: 'status', kind: 'empty-enum' },
    { column: 'birthday', kind: 'zero-date' },
    { column: 'created_at', kind: 'zero-date' },
    { column: 'last_login', kind: 'zero-date' },
    { column: 'notes', kind: 'nul-byte' },
    { column: 'notes', kind: 'trailing-space' },
    { column: 'prefs', kind: 'json-nul' },
  ]);
  assert.ok(
    !probesFor('mysql', 'postgres', tableOf(s, 'products')).some((p) => p.column === 'price_with_tax'),
  );
  assert.deepEqual(probesFor('mysql', 'mysql', tableOf(s, 'customers')), []);
  assert.deepEqual(probesFor('postgres', 'postgres', table('t', [pgCol('a', 'text', 'text')])), []);
});

test('customers: probe answers decide types and raise findings with counts', () => {
  const s = shop();
  const results: ProbeResult[] = [
    { column: 'is_active', kind: 'non-boolean', offendingRows: 3 },
    { column: 'created_at', kind: 'zero-date', offendingRows: 12 },
    { column: 'birthday', kind: 'zero-date', offendingRows: 4 },
    { column: 'status', kind: 'empty-enum', offendingRows: 2 },
    { column: 'notes', kind: 'nul-byte', offendingRows: 1 },
    { column: 'prefs', kind: 'json-nul', offendingRows: 5 },
    { column: 'email', kind: 'trailing-space', offendingRows: 2 },
    { column: 'name', kind: 'trailing-space', offendingRows: 0 },
  ];
  const { plan, findings } = analyze(s, 'customers', results);
  const type = (c: string) => plan.columns.find((m) => m.column === c)!.targetType;
  assert.equal(type('is_active'), 'smallint');
  assert.equal(type('id'), 'bigint');
  assert.equal(type('loyalty_points'), 'numeric(20,0)');
  assert.equal(type('status'), '"customers_status"');
  assert.equal(type('created_at'), 'timestamp(0) without time zone');
  assert.equal(type('prefs'), 'jsonb');
  assert.equal(plan.refused.length, 0);

  const b = one(findings, 'BOOLEAN_OUT_OF_RANGE', 'is_active');
  assert.equal(b.table, 'customers');
  assert.match(b.finding, /^3 rows of shop\.customers\.is_active/);
  assert.equal(one(findings, 'ZERO_DATES', 'created_at').severity, 'high');
  assert.match(one(findings, 'ZERO_DATES', 'birthday').mitigation, /NULL/);
  assert.match(one(findings, 'ZERO_DATES', 'created_at').mitigation, /NOT NULL/);
  assert.equal(one(findings, 'EMPTY_ENUM_VALUES', 'status').severity, 'high');
  assert.equal(one(findings, 'NUL_BYTES', 'notes').severity, 'high');
  assert.equal(one(findings, 'JSON_NUL', 'prefs').severity, 'high');
  assert.equal(one(findings, 'JSON_NORMALISED', 'prefs').severity, 'low');
  assert.equal(one(findings, 'TIMESTAMP_TIMEZONE', 'last_login').severity, 'medium');
  assert.equal(one(findings, 'BIGINT_UNSIGNED_NUMERIC', 'loyalty_points').severity, 'medium');
  assert.equal(one(findings, 'UNSIGNED_WIDENED', 'id').severity, 'low');
  assert.equal(one(findings, 'CHARSET_NOT_UTF8', 'country').severity, 'medium');
  // email is in a unique key: trailing spaces decide what counts as a duplicate
  const pad = one(findings, 'PAD_SPACE_TRAILING', 'email');
  assert.equal(pad.severity, 'medium');
  assert.match(pad.finding, /^2 rows of shop\.customers\.email end in spaces.*unique key/);
  assert.equal(find(findings, 'PAD_SPACE_TRAILING', 'name').length, 0, 'a clean probe raises nothing');

  const ci = one(findings, 'CI_COLLATION_UNIQUENESS', 'email');
  assert.equal(ci.severity, 'high');
  assert.match(
    ci.finding,
    /unique key uq_email \(email\) of shop\.customers includes email with case-insensitive collation utf8mb4_general_ci/,
  );
  assert.match(ci.mitigation, /citext/);
  assert.match(ci.mitigation, /nondeterministic/);
  const cmp = one(findings, 'CI_COLLATION_COMPARISONS');
  assert.equal(cmp.severity, 'low');
  assert.match(
    cmp.finding,
    /^3 text columns of shop\.customers \(name utf8mb4_general_ci, country latin1_swedish_ci, notes utf8mb4_general_ci\)/,
  );

  const rev = one(findings, 'REVERSE_LOSSY', 'last_login');
  assert.equal(rev.severity, 'medium');
  assert.match(
    rev.finding,
    /^rollback by reverse replication could fail for shop\.customers\.last_login .*2038/,
  );
  assert.ok(
    find(findings, 'REVERSE_LOSSY', 'country').length === 1,
    'latin1 cannot take every character back',
  );
  assert.equal(find(findings, 'REVERSE_LOSSY', 'email').length, 0);
  // MariaDB's json_valid CHECK of the JSON alias is not a constraint to translate
  assert.equal(findings.filter((f) => f.code.startsWith('CHECK_')).length, 0);
  assert.equal(find(findings, 'NO_PRIMARY_KEY').length, 0);

  // the ColumnMapping carries the flags the report shows
  const prefs = plan.columns.find((c) => c.column === 'prefs')!;
  assert.equal(prefs.lossy, true);
  assert.equal(prefs.sourceType, 'longtext');
  assert.equal(prefs.generated, false);
  const status = plan.mappings.find((m) => m.column === 'status')!.mapping;
  assert.deepEqual(status.enumType, { name: 'customers_status', labels: ['active', 'suspended', 'closed'] });
});

test('a clean TINYINT(1) becomes boolean', () => {
  const s = shop();
  const { plan, findings } = analyze(s, LONG_TABLE, [
    { column: 'opted_in', kind: 'non-boolean', offendingRows: 0 },
  ]);
  assert.equal(plan.columns.find((c) => c.column === 'opted_in')!.targetType, 'boolean');
  assert.equal(find(findings, 'BOOLEAN_OUT_OF_RANGE').length, 0);
});

test('products: BIGINT UNSIGNED key, generated column, prefix and FULLTEXT indexes', () => {
  const { plan, findings } = analyze(shop(), 'products');
  assert.equal(plan.columns.find((c) => c.column === 'id')!.targetType, 'numeric(20,0)');
  const gen = plan.columns.find((c) => c.column === 'price_with_tax')!;
  assert.equal(gen.generated, true);
  assert.equal(one(findings, 'GENERATED_COLUMN', 'price_with_tax').severity, 'medium');
  const prefix = one(findings, 'PREFIX_INDEX');
  assert.equal(prefix.severity, 'medium');
  assert.match(
    prefix.finding,
    /idx_title_prefix on shop\.products \(title\(10\)\) indexes only the first 10 characters of title/,
  );
  assert.match(prefix.mitigation, /left\(title, 10\)/);
  const ft = one(findings, 'FULLTEXT_INDEX');
  assert.equal(ft.severity, 'medium');
  assert.match(ft.mitigation, /tsvector/);
  assert.match(ft.mitigation, /GIN/);
});

test('a unique prefix index keeps prefix uniqueness only through an expression index', () => {
  const s = schema('mysql', [
    table('t', [col('id', 'int(11)', { nullable: false }), col('code', 'varchar(100)')], {
      primaryKey: ['id'],
      indexes: [index('uq_code', [['code', 8]], { unique: true })],
    }),
  ]);
  const f = one(analyze(s, 't').findings, 'PREFIX_INDEX');
  assert.match(f.finding, /uniqueness of whole values instead of prefixes/);
  assert.match(f.mitigation, /unique expression index on \(left\(code, 8\)\)/);
});

test('NO_PRIMARY_KEY blocks without a NOT NULL unique key, and is medium with one', () => {
  const s = shop();
  const f = one(analyze(s, 'audit_log').findings, 'NO_PRIMARY_KEY');
  assert.equal(f.severity, 'blocking');
  assert.equal(f.table, 'audit_log');
  assert.match(f.finding, /^shop\.audit_log \(5000 rows\) has no primary key/);
  assert.match(f.mitigation, /primary key \(or a NOT NULL unique key\)/);

  const keyed = schema('mysql', [
    table('t', [col('a', 'int(11)', { nullable: false }), col('b', 'int(11)')], {
      uniqueKeys: [{ name: 'uq_a', columns: ['a'] }],
      indexes: [index('uq_a', ['a'], { unique: true })],
    }),
  ]);
  const g = one(analyze(keyed, 't').findings, 'NO_PRIMARY_KEY');
  assert.equal(g.severity, 'medium');
  assert.match(g.finding, /NOT NULL unique key uq_a \(a\)/);

  const nullableKey = schema('mysql', [
    table('t', [col('a', 'int(11)')], { uniqueKeys: [{ name: 'uq_a', columns: ['a'] }] }),
  ]);
  assert.equal(one(analyze(nullableKey, 't').findings, 'NO_PRIMARY_KEY').severity, 'blocking');
  // same-engine moves need a key just as much
  assert.equal(
    one(analyze(s, 'audit_log', [], 'mysql', 'mysql').findings, 'NO_PRIMARY_KEY').severity,
    'blocking',
  );
});

test('MyISAM and partitioned tables', () => {
  const s = shop();
  const m = one(analyze(s, 'legacy_sessions').findings, 'MYISAM_TABLE');
  assert.equal(m.severity, 'high');
  assert.match(m.finding, /MyISAM/);
  assert.match(m.mitigation, /ENGINE=InnoDB/);
  const mem = schema('mysql', [
    table('cache', [col('k', 'int(11)')], { primaryKey: ['k'], storageEngine: 'MEMORY' }),
  ]);
  assert.equal(one(analyze(mem, 'cache').findings, 'NON_TRANSACTIONAL_TABLE').severity, 'high');
  const part = schema('mysql', [
    table('events', [col('id', 'int(11)')], { primaryKey: ['id'], partitioned: true }),
  ]);
  const p = one(analyze(part, 'events').findings, 'PARTITIONED_TABLE');
  assert.equal(p.severity, 'medium');
  assert.match(p.mitigation, /declarative partitioning/);
});

test('spatial columns are flagged and not mapped', () => {
  const { plan, findings } = analyze(shop(), 'warehouses');
  const loc = plan.columns.find((c) => c.column === 'location')!;
  assert.equal(loc.targetType, 'bytea');
  assert.equal(loc.lossy, true);
  const f = one(findings, 'SPATIAL_TYPE', 'location');
  assert.equal(f.severity, 'high');
  assert.match(f.finding, /PostGIS/);
});

test('FK_TO_NON_UNIQUE blocks a foreign key to a non-unique column', () => {
  const f = one(analyze(shop(), 'shipments').findings, 'FK_TO_NON_UNIQUE');
  assert.equal(f.severity, 'blocking');
  assert.equal(f.table, 'shipments');
  assert.match(
    f.finding,
    /fk_shipments_order_ref .* references orders\(external_ref\), which is not a primary or unique key/,
  );
  // the flag may be missing while the parent's keys show the reference is unique
  const s = shop();
  tableOf(s, 'orders').foreignKeys[0]!.referencesUniqueKey = false;
  assert.equal(find(analyze(s, 'orders').findings, 'FK_TO_NON_UNIQUE').length, 0);
});

test('FK_TYPE_MISMATCH: parent INT UNSIGNED -> bigint, child INT -> integer', () => {
  const s = schema('mysql', [
    table('parents', [col('id', 'int(10) unsigned', { nullable: false })], { primaryKey: ['id'] }),
    table('children', [col('id', 'int(11)', { nullable: false }), col('parent_id', 'int(11)')], {
      primaryKey: ['id'],
      foreignKeys: [fk('fk_children_parent', ['parent_id'], 'parents', ['id'])],
    }),
  ]);
  const f = one(analyze(s, 'children').findings, 'FK_TYPE_MISMATCH', 'parent_id');
  assert.equal(f.severity, 'medium');
  assert.equal(f.table, 'children');
  assert.match(
    f.finding,
    /shop\.children\.parent_id \(int\(11\)\) becomes integer but the referenced parents\.id \(int\(10\) unsigned\) becomes bigint/,
  );
  assert.match(f.mitigation, /override shop\.children\.parent_id to bigint/);
  // matching types raise nothing
  assert.equal(find(analyze(shop(), 'orders').findings, 'FK_TYPE_MISMATCH').length, 0);

  // incompatible families (bigint vs numeric(20,0)) make PostgreSQL refuse the constraint
  const t = schema('mysql', [
    table('p', [col('id', 'bigint(20) unsigned', { nullable: false })], { primaryKey: ['id'] }),
    table('c', [col('id', 'int(11)', { nullable: false }), col('p_id', 'bigint(20)')], {
      primaryKey: ['id'],
      foreignKeys: [fk('fk_c_p', ['p_id'], 'p', ['id'])],
    }),
  ]);
  assert.equal(one(analyze(t, 'c').findings, 'FK_TYPE_MISMATCH', 'p_id').severity, 'high');
});

test('FK_TYPE_MISMATCH to MySQL: integer widths must match exactly', () => {
  const s = schema('postgres', [
    table('p', [pgCol('id', 'bigint', 'bigint', { nullable: false })], { primaryKey: ['id'] }),
    table(
      'c',
      [pgCol('id', 'integer', 'integer', { nullable: false }), pgCol('p_id', 'integer', 'integer')],
      {
        primaryKey: ['id'],
        foreignKeys: [fk('c_p_id_fkey', ['p_id'], 'p', ['id'])],
      },
    ),
  ]);
  const f = one(analyze(s, 'c', [], 'postgres', 'mysql').findings, 'FK_TYPE_MISMATCH', 'p_id');
  assert.equal(f.severity, 'high');
  assert.match(f.finding, /becomes int but the referenced p\.id \(bigint\) becomes bigint: MySQL refuses/);
});

test('a foreign key into another schema is called out', () => {
  const s = shop();
  tableOf(s, 'orders').foreignKeys[0]!.referencedSchema = 'crm';
  const f = one(analyze(s, 'orders').findings, 'FK_OUTSIDE_SCHEMA');
  assert.equal(f.severity, 'medium');
  assert.match(
    f.finding,
    /fk_orders_customer of shop\.orders references crm\.customers\(id\), outside the schema/,
  );
  assert.equal(find(analyze(s, 'orders').findings, 'FK_TO_NON_UNIQUE').length, 0);
});

test('foreign-key columns keep one type on both sides whatever the probes say', () => {
  const s = schema('mysql', [
    table('kinds', [col('code', 'tinyint(1)', { nullable: false })], { primaryKey: ['code'] }),
    table('things', [col('id', 'int(11)', { nullable: false }), col('kind', 'tinyint(1)')], {
      primaryKey: ['id'],
      foreignKeys: [fk('fk_things_kind', ['kind'], 'kinds', ['code'])],
    }),
  ]);
  const clean: ProbeResult[] = [
    { column: 'code', kind: 'non-boolean', offendingRows: 0 },
    { column: 'kind', kind: 'non-boolean', offendingRows: 0 },
  ];
  const parent = analyze(s, 'kinds', clean);
  const child = analyze(s, 'things', clean);
  assert.equal(parent.plan.columns[0]!.targetType, 'smallint');
  assert.equal(child.plan.columns.find((c) => c.column === 'kind')!.targetType, 'smallint');
  assert.equal(find(child.findings, 'FK_TYPE_MISMATCH').length, 0);
});

test('CHECK constraints between engines: translated, not translated (with the reason) or overridden', () => {
  const s = schema('mysql', [
    table(
      'items',
      [
        col('qty', 'smallint(5) unsigned', { nullable: false }),
        col('status', 'varchar(10)'),
        col('legacy', 'int(11)'),
      ],
      {
        primaryKey: ['qty'],
        checks: [
          { name: 'chk_qty', expression: '`qty` > 0' },
          { name: 'chk_status', expression: "`status` in ('a','b')" },
          { name: 'chk_legacy', expression: '`legacy` > 0' },
          { name: 'chk_regexp', expression: "`status` regexp '^a'" },
          { name: 'chk_gone', expression: "`status` <> ''" },
        ],
      },
    ),
  ]);
  const t = tableOf(s, 'items');
  const plain = analyze(s, 'items').findings;
  const translated = find(plain, 'CHECK_TRANSLATED')[0]!.finding;
  assert.equal(find(plain, 'CHECK_TRANSLATED').length, 2, 'chk_qty and chk_legacy');
  assert.match(
    translated,
    /chk_qty of shop\.items \(`qty` > 0\) is created on PostgreSQL as CHECK \(\("qty" > 0\)\)/,
  );
  const refused = find(plain, 'CHECK_NOT_TRANSLATED');
  assert.deepEqual(
    refused.map((f) => f.severity),
    ['medium', 'medium', 'medium'],
    'visible, not blocking',
  );
  assert.match(
    refused[0]!.finding,
    /chk_status of shop\.items \(`status` in \('a','b'\)\) is not created on PostgreSQL: IN compares text in utf8mb4_general_ci, which ignores case/,
  );
  assert.match(refused[0]!.mitigation, /checks\["items\.chk_status"\]\.expression/);
  assert.match(refused[1]!.finding, /chk_regexp .*REGEXP/);
  assert.match(refused[2]!.finding, /chk_gone .*utf8mb4_general_ci/);

  const overridden = analyzeTable('mysql', 'postgres', t, [], s, {
    columns: { 'items.legacy': { exclude: true } },
    checks: {
      'items.chk_status': { expression: "lower(status) IN ('a', 'b')" },
      'items.chk_regexp': { drop: true },
    },
  }).findings;
  assert.match(
    one(overridden, 'CHECK_OVERRIDDEN').finding,
    /chk_status .*CHECK \(lower\(status\) IN \('a', 'b'\)\)/,
  );
  assert.equal(one(overridden, 'CHECK_DROPPED').severity, 'low');
  assert.deepEqual(
    find(overridden, 'CHECK_NOT_TRANSLATED').map((f) => /chk_(\w+)/.exec(f.finding)![1]),
    ['legacy', 'gone'],
  );
  assert.match(
    find(overridden, 'CHECK_NOT_TRANSLATED')[0]!.finding,
    /column legacy is not created on the target/,
  );

  assert.equal(
    analyze(s, 'items', [], 'mysql', 'mysql').findings.filter((f) => f.code.startsWith('CHECK_')).length,
    0,
    'same engine: copied as they are',
  );
});

test('PostgreSQL -> MySQL: an int4range column is refused with a blocking finding and left out of the plan', () => {
  const s = schema('postgres', [
    table(
      'bookings',
      [
        pgCol('id', 'bigint', 'bigint', { nullable: false, autoIncrement: true, identity: 'by default' }),
        pgCol('during', 'int4range', 'int4range'),
        pgCol('note', 'text', 'text'),
      ],
      { primaryKey: ['id'] },
    ),
  ]);
  const { plan, findings } = analyze(s, 'bookings', [], 'postgres', 'mysql');
  assert.deepEqual(
    plan.columns.map((c) => [c.column, c.targetType]),
    [
      ['id', 'bigint'],
      ['note', 'longtext character set utf8mb4 collate utf8mb4_bin'],
    ],
  );
  assert.equal(plan.refused.length, 1);
  assert.equal(plan.refused[0]!.column, 'during');
  assert.match(plan.refused[0]!.reason, /column during \(int4range\)/);
  const f = one(findings, 'REFUSED_TYPE', 'during');
  assert.equal(f.severity, 'blocking');
  assert.equal(f.table, 'bookings');
  assert.match(f.finding, /^shop\.bookings: column during \(int4range\) cannot be migrated/);
  assert.deepEqual(probesFor('postgres', 'mysql', tableOf(s, 'bookings')), [
    { column: 'note', kind: 'trailing-space' },
  ]);
});

test('PostgreSQL -> MySQL: index and auto-increment rules of MySQL', () => {
  const s = schema('postgres', [
    table(
      'docs',
      [
        pgCol('id', 'integer', 'integer', { nullable: false, autoIncrement: true, identity: 'always' }),
        pgCol('seq', 'bigint', 'bigint', { nullable: false, autoIncrement: true }),
        pgCol('slug', 'text', 'text', { nullable: false }),
        pgCol('title', 'character varying(1000)', 'character varying', { length: 1000 }),
        pgCol('body', 'tsvector', 'tsvector'),
        pgCol('deleted', 'boolean', 'boolean'),
      ],
      {
        primaryKey: ['id'],
        uniqueKeys: [{ name: 'docs_slug_key', columns: ['slug'] }],
        indexes: [
          index('docs_slug_key', ['slug'], { unique: true }),
          index('docs_title_idx', ['title']),
          index('docs_body_idx', ['body'], { method: 'gin' }),
          index('docs_live_slug', ['slug'], { unique: true, predicate: 'NOT deleted' }),
        ],
      },
    ),
  ]);
  const { findings } = analyze(
    s,
    'docs',
    [{ column: 'slug', kind: 'trailing-space', offendingRows: 2 }],
    'postgres',
    'mysql',
  );
  const keys = find(findings, 'INDEX_KEY_TOO_LONG');
  assert.deepEqual(
    keys.map((f) => f.severity),
    ['high', 'medium', 'high'],
    JSON.stringify(keys.map((f) => f.finding)),
  );
  assert.match(keys[0]!.finding, /docs_slug_key .* covers slug \(longtext\)/);
  assert.match(keys[1]!.finding, /needs up to 4000 bytes per key/);
  assert.equal(one(findings, 'INDEX_METHOD_UNSUPPORTED').severity, 'medium');
  assert.equal(one(findings, 'PARTIAL_INDEX').severity, 'high');
  assert.equal(one(findings, 'MULTIPLE_AUTO_INCREMENT').severity, 'high');
  assert.equal(one(findings, 'AUTO_INCREMENT_NOT_KEYED', 'seq').severity, 'high');
  assert.equal(one(findings, 'REFUSED_TYPE', 'body').severity, 'blocking');
  const pad = one(findings, 'PAD_SPACE_TRAILING', 'slug');
  assert.equal(pad.severity, 'high', 'in a unique key the copy would fail on MySQL');
  assert.equal(find(findings, 'REVERSE_LOSSY').length, 0, 'CHECKs keep every MySQL value writable back');
});

test('PostgreSQL -> PostgreSQL raises only what applies to any move', () => {
  const s = schema('postgres', [
    table('t', [pgCol('a', 'integer', 'integer'), pgCol('b', 'text', 'text', { collation: 'C' })], {
      checks: [{ name: 't_a_check', expression: 'a > 0' }],
    }),
  ]);
  const { findings } = analyze(s, 't', [], 'postgres', 'postgres');
  assert.deepEqual(findings.map((f) => f.code).sort(), ['COLLATION_ON_TARGET', 'NO_PRIMARY_KEY']);
  const sqlAscii = schema('postgres', [table('t', [pgCol('b', 'text', 'text')], { primaryKey: ['b'] })], {
    charset: 'SQL_ASCII',
  });
  assert.equal(
    one(analyze(sqlAscii, 't', [], 'postgres', 'postgres').findings, 'CHARSET_NOT_UTF8').severity,
    'high',
  );
});

test('every finding names its table, a sentence and a mitigation', () => {
  const s = shop();
  for (const t of s.tables) {
    for (const f of analyze(s, t.name).findings) {
      assert.equal(f.table, t.name, f.code);
      assert.ok(f.finding.length > 20 && f.mitigation.length > 10, f.code);
      assert.match(f.code, /^[A-Z][A-Z0-9_]*$/);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// identifiers

test('identifierFindings: 63-byte limit with the truncated name, index names unique per schema', () => {
  const s = shop();
  const findings = identifierFindings('postgres', s);
  const long = one(findings, 'IDENTIFIER_TOO_LONG');
  assert.equal(long.severity, 'high');
  assert.equal(long.table, LONG_TABLE);
  assert.ok(long.finding.includes(`is 64 bytes long`));
  assert.ok(long.finding.includes(`would silently call it ${LONG_TABLE.slice(0, 63)}`));

  const idx = find(findings, 'INDEX_NAME_COLLISION');
  assert.deepEqual(
    idx.map((f) => f.table),
    ['orders', LONG_TABLE],
    'customers keeps idx_created; the other two tables must rename theirs',
  );
  assert.equal(idx[0]!.severity, 'medium');
  assert.match(
    idx[0]!.finding,
    /index idx_created of table orders has the same name as index idx_created of table customers: MySQL index names are per table, PostgreSQL index names are per schema/,
  );
  assert.match(idx[0]!.mitigation, /orders_idx_created/);
  // PRIMARY is not a name on PostgreSQL
  assert.ok(!findings.some((f) => f.finding.includes('PRIMARY')));
  // same engine: nothing
  assert.deepEqual(identifierFindings('mysql', s), []);
});

test('identifierFindings: collisions after truncation and across namespaces', () => {
  const prefix = 'x'.repeat(63);
  const s = schema('mysql', [
    table(`${prefix}_a`, [col('id', 'int(11)')], { primaryKey: ['id'] }),
    table(`${prefix}_b`, [col('id', 'int(11)')], { primaryKey: ['id'] }),
    table('orders', [col('id', 'int(11)'), col('status', "enum('new','paid')")], {
      primaryKey: ['id'],
      indexes: [index('orders_status', ['status'])],
    }),
    table(
      'orders_status',
      [col('id', 'int(11)'), col(`${'c'.repeat(64)}1`, 'int(11)'), col(`${'c'.repeat(64)}2`, 'int(11)')],
      {
        primaryKey: ['id'],
      },
    ),
  ]);
  const findings = identifierFindings('postgres', s);
  const collisions = find(findings, 'IDENTIFIER_COLLISION');
  const tables = collisions.find((f) => f.table === `${prefix}_b` && !f.column)!;
  assert.equal(tables.severity, 'blocking');
  assert.match(tables.finding, /once truncated to 63 bytes/);
  // the enum type orders_status (orders.status) collides with the row type of table orders_status
  const enumType = collisions.find((f) => f.table === 'orders')!;
  assert.equal(enumType.severity, 'high');
  assert.match(
    enumType.finding,
    /enum type orders_status of table orders has the same name as table orders_status/,
  );
  // the index orders_status collides with the table orders_status (one pg_class namespace)
  const ix = one(findings, 'INDEX_NAME_COLLISION');
  assert.match(ix.finding, /index orders_status of table orders has the same name as table orders_status/);
  // two 65-byte column names that share their first 63 bytes
  const cols = collisions.find((f) => f.column)!;
  assert.equal(cols.table, 'orders_status');
  assert.equal(cols.severity, 'blocking');
  assert.equal(find(findings, 'IDENTIFIER_TOO_LONG').length, 4);
});

test('identifierFindings to MySQL: case-insensitive column names, per-schema constraint names', () => {
  const s = schema('postgres', [
    table('a', [pgCol('Name', 'text', 'text'), pgCol('name', 'text', 'text')], {
      foreignKeys: [{ ...fk('fk_owner', ['name'], 'b', ['id']) }],
    }),
    table('b', [pgCol('id', 'text', 'text')], {
      foreignKeys: [{ ...fk('fk_owner', ['id'], 'a', ['name']) }],
    }),
    table('B', [pgCol('id', 'text', 'text')]),
  ]);
  const findings = identifierFindings('mysql', s);
  const cols = find(findings, 'IDENTIFIER_COLLISION').find((f) => f.column)!;
  assert.equal(cols.severity, 'blocking');
  assert.equal(cols.table, 'a');
  assert.match(cols.finding, /Name and name .* differ only in case/);
  const fkName = one(findings, 'CONSTRAINT_NAME_COLLISION');
  assert.equal(fkName.severity, 'high');
  assert.equal(fkName.table, 'b');
  const tables = find(findings, 'IDENTIFIER_COLLISION').find((f) => !f.column)!;
  assert.equal(tables.severity, 'medium');
  assert.match(tables.finding, /lower_case_table_names/);
});

test('mixed-case names are pointed out for PostgreSQL', () => {
  const s = schema('mysql', [table('Orders', [col('OrderId', 'int(11)')], { primaryKey: ['OrderId'] })]);
  const f = one(identifierFindings('postgres', s), 'MIXED_CASE_IDENTIFIER');
  assert.equal(f.severity, 'low');
  assert.match(f.finding, /Orders, Orders\.OrderId/);
});

test('a MySQL foreign key with a cascading action blocks trigger capture; PostgreSQL sources are fine', () => {
  const parent = table('orders', [col('id', 'int')], { primaryKey: ['id'] });
  const child = table('order_items', [col('order_id', 'int')], {
    primaryKey: ['order_id'],
    foreignKeys: [
      {
        name: 'fk_items_order',
        columns: ['order_id'],
        referencedSchema: 'shop',
        referencedTable: 'orders',
        referencedColumns: ['id'],
        onUpdate: 'NO ACTION',
        onDelete: 'CASCADE',
        referencesUniqueKey: true,
      },
    ],
  });
  const fromMysql = analyzeTable('mysql', 'postgres', child, [], schema('mysql', [parent, child]));
  const f = fromMysql.findings.find((x) => x.code === 'CASCADE_NOT_CAPTURED');
  assert.equal(f?.severity, 'blocking');
  assert.match(f!.finding, /ON DELETE CASCADE/);
  const fromPg = analyzeTable('postgres', 'postgres', child, [], schema('postgres', [parent, child]));
  assert.ok(!fromPg.findings.some((x) => x.code === 'CASCADE_NOT_CAPTURED'));
});
