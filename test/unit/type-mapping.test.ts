// Column type mapping between engines: the exact target type per source type, the lossy / reverse
// flags, the probes each mapping asks for, and how probe answers refine it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProbeResult } from '../../src/engines/engine';
import type { ColumnModel } from '../../src/engines/model';
import {
  mapColumn,
  refineMapping,
  truncateIdentifier,
  type MappedType,
  type RefusedType,
  type TypeMapping,
} from '../../src/engines/type-mapping';
import { col, pgCol } from '../helpers/model-fixtures';

function mapped(m: TypeMapping): MappedType {
  if (m.refused) assert.fail(`expected a mapping, got a refusal: ${m.reason}`);
  return m;
}
function refused(m: TypeMapping): RefusedType {
  if (!m.refused) assert.fail(`expected a refusal, got ${m.targetType}`);
  return m;
}
const my2pg = (c: ColumnModel, table = 't') => mapped(mapColumn('mysql', 'postgres', c, { table }));
const pg2my = (c: ColumnModel) => mapColumn('postgres', 'mysql', c);
const probe = (column: string, kind: ProbeResult['kind'], offendingRows: number): ProbeResult => ({
  column,
  kind,
  offendingRows,
});

// ---------------------------------------------------------------------------------------------
// MySQL -> PostgreSQL

test('MySQL integers map to the narrowest PostgreSQL type that holds them, with CHECKs for the source range', () => {
  const cases: [string, string, string[]][] = [
    ['tinyint(4)', 'smallint', ['{col} BETWEEN -128 AND 127']],
    ['tinyint(3) unsigned', 'smallint', ['{col} >= 0', '{col} <= 255']],
    ['smallint(6)', 'smallint', []],
    ['smallint(5) unsigned', 'integer', ['{col} >= 0', '{col} <= 65535']],
    ['mediumint(9)', 'integer', ['{col} BETWEEN -8388608 AND 8388607']],
    ['mediumint(8) unsigned', 'integer', ['{col} >= 0', '{col} <= 16777215']],
    ['int(11)', 'integer', []],
    ['int(10) unsigned', 'bigint', ['{col} >= 0', '{col} <= 4294967295']],
    ['bigint(20)', 'bigint', []],
    ['bigint(20) unsigned', 'numeric(20,0)', ['{col} >= 0', '{col} <= 18446744073709551615']],
  ];
  for (const [native, target, checks] of cases) {
    const m = my2pg(col('n', native));
    assert.equal(m.targetType, target, native);
    assert.deepEqual(m.checks, checks, native);
    assert.equal(m.lossy, false, native);
    assert.equal(m.reverseLossless, true, `${native}: the CHECKs keep every value writable back`);
    assert.deepEqual(m.probes, [], native);
  }
});

test('unsigned widening and BIGINT UNSIGNED carry their risks', () => {
  const intU = my2pg(col('customer_id', 'int(10) unsigned'));
  assert.deepEqual(
    intU.risks.map((r) => [r.code, r.severity]),
    [['UNSIGNED_WIDENED', 'low']],
  );
  const bigU = my2pg(col('id', 'bigint(20) unsigned'));
  assert.deepEqual(
    bigU.risks.map((r) => [r.code, r.severity]),
    [['BIGINT_UNSIGNED_NUMERIC', 'medium']],
  );
  // tinyint unsigned fits smallint like signed tinyint does: nothing widened.
  assert.deepEqual(my2pg(col('n', 'tinyint(3) unsigned')).risks, []);
});

test('TINYINT(1) stays smallint until a probe shows only 0/1, then becomes boolean', () => {
  const c = col('active', 'tinyint(1)', { nullable: false });
  const base = my2pg(c, 'flags');
  assert.equal(base.targetType, 'smallint');
  assert.deepEqual(base.probes, ['non-boolean']);
  assert.equal(base.decideWithProbes?.[0]?.whenClean?.targetType, 'boolean');

  const clean = refineMapping(base, c, [probe('active', 'non-boolean', 0)], {
    schema: 'shop',
    table: 'flags',
  });
  assert.equal(clean.mapping.targetType, 'boolean');
  assert.deepEqual(clean.mapping.checks, []);
  assert.equal(clean.mapping.reverseLossless, true);
  assert.deepEqual(clean.findings, []);

  const dirty = refineMapping(base, c, [probe('active', 'non-boolean', 3)], {
    schema: 'shop',
    table: 'flags',
  });
  assert.equal(dirty.mapping.targetType, 'smallint');
  assert.deepEqual(dirty.mapping.checks, ['{col} BETWEEN -128 AND 127']);
  assert.equal(dirty.findings.length, 1);
  const f = dirty.findings[0]!;
  assert.equal(f.code, 'BOOLEAN_OUT_OF_RANGE');
  assert.equal(f.table, 'flags');
  assert.equal(f.column, 'active');
  assert.match(f.finding, /^3 rows of shop\.flags\.active hold values other than 0\/1/);

  // Not probed (skipDataProbes): the safe integer mapping stays.
  assert.equal(refineMapping(base, c, []).mapping.targetType, 'smallint');
  // A probe answer about another column does not count.
  assert.equal(refineMapping(base, c, [probe('other', 'non-boolean', 0)]).mapping.targetType, 'smallint');
  // A foreign-key column keeps its schema type whatever the data says.
  const fixed = refineMapping(base, c, [probe('active', 'non-boolean', 0)], { fixedType: true });
  assert.equal(fixed.mapping.targetType, 'smallint');
  assert.ok(fixed.mapping.notes.some((n) => /foreign-key column/.test(n)));
});

test('refineMapping does not mutate the mapping it is given', () => {
  const c = col('active', 'tinyint(1)');
  const base = my2pg(c);
  const before = JSON.stringify(base);
  refineMapping(base, c, [probe('active', 'non-boolean', 0)]);
  assert.equal(JSON.stringify(base), before);
});

test('BIT(1) is boolean without a probe; wider BIT becomes bit varying', () => {
  const b1 = my2pg(col('flag', 'bit(1)', { precision: 1 }));
  assert.equal(b1.targetType, 'boolean');
  assert.deepEqual(b1.probes, []);
  const b12 = my2pg(col('mask', 'bit(12)', { precision: 12 }));
  assert.equal(b12.targetType, 'bit varying(12)');
  assert.equal(b12.reverseLossless, true);
});

test('floating point and decimals', () => {
  const f = my2pg(col('w', 'float'));
  assert.equal(f.targetType, 'real');
  assert.deepEqual(f.checks, ["{col} NOT IN ('NaN', 'Infinity', '-Infinity')"]);
  assert.ok(f.notes.some((n) => /canonical/.test(n)));
  assert.equal(my2pg(col('d', 'double')).targetType, 'double precision');
  assert.equal(my2pg(col('d', 'double', { dataType: 'double precision' })).targetType, 'double precision');
  const dec = my2pg(col('price', 'decimal(10,2)'));
  assert.equal(dec.targetType, 'numeric(10,2)');
  assert.deepEqual(dec.checks, ["{col} <> 'NaN'"]);
  assert.equal(dec.lossy, false);
  assert.deepEqual(my2pg(col('p', 'decimal(12,4) unsigned')).checks, ["{col} <> 'NaN'", '{col} >= 0']);
});

test('character types: exact types, collation notes, NUL and PAD SPACE probes', () => {
  const email = my2pg(col('email', 'varchar(191)'));
  assert.equal(email.targetType, 'character varying(191)');
  assert.deepEqual(email.probes, ['nul-byte', 'trailing-space']);
  assert.ok(email.notes.some((n) => /case- \(and accent-\) insensitively/.test(n)));
  assert.equal(email.reverseLossless, true);

  // NO PAD collations (MySQL 8 0900, MariaDB nopad) compare trailing spaces like PostgreSQL.
  assert.deepEqual(my2pg(col('s', 'varchar(20)', { collation: 'utf8mb4_0900_ai_ci' })).probes, ['nul-byte']);
  assert.deepEqual(my2pg(col('s', 'varchar(20)', { collation: 'utf8mb4_nopad_bin' })).probes, ['nul-byte']);

  const country = my2pg(col('country', 'char(2)', { charset: 'latin1', collation: 'latin1_swedish_ci' }));
  assert.equal(country.targetType, 'character(2)');
  assert.deepEqual(country.probes, ['nul-byte'], 'CHAR pads on both sides: no trailing-space probe');
  assert.equal(country.reverseLossless, false);
  assert.match(country.reverseReasons[0]!, /character set latin1/);
  assert.deepEqual(
    country.risks.map((r) => [r.code, r.severity]),
    [['CHARSET_NOT_UTF8', 'medium']],
  );

  const mb3 = my2pg(col('title', 'varchar(100)', { charset: 'utf8mb3', collation: 'utf8mb3_general_ci' }));
  assert.equal(mb3.reverseLossless, false);
  assert.match(mb3.reverseReasons[0]!, /emoji/);
});

test('TEXT types become text; byte limits become CHECKs so rollback cannot overflow', () => {
  const cases: [string, string[]][] = [
    ['tinytext', ['octet_length({col}) <= 255']],
    ['text', ['octet_length({col}) <= 65535']],
    ['mediumtext', ['octet_length({col}) <= 16777215']],
    ['longtext', []],
  ];
  for (const [native, checks] of cases) {
    const m = my2pg(col('body', native));
    assert.equal(m.targetType, 'text', native);
    assert.deepEqual(m.checks, checks, native);
    assert.equal(m.reverseLossless, true, native);
  }
  // UCS-2/UTF-16 limits cannot be expressed on UTF-8 text: no CHECK (it could reject valid rows), reverse lossy
  const ucs2 = my2pg(col('b', 'text', { charset: 'ucs2', collation: 'ucs2_general_ci' }));
  assert.deepEqual(ucs2.checks, []);
  assert.equal(ucs2.reverseLossless, false);
  // single-byte charsets count characters
  assert.deepEqual(my2pg(col('b', 'text', { charset: 'latin1', collation: 'latin1_swedish_ci' })).checks, [
    'char_length({col}) <= 65535',
  ]);
});

test("ENUM becomes a PostgreSQL enum type named <table>_<column>; '' error values are probed", () => {
  const c = col('status', "enum('active','suspended','closed')", { nullable: false });
  const m = my2pg(c, 'customers');
  assert.equal(m.targetType, '"customers_status"');
  assert.deepEqual(m.enumType, { name: 'customers_status', labels: ['active', 'suspended', 'closed'] });
  assert.equal(m.reverseLossless, true);
  assert.deepEqual(m.probes, ['empty-enum']);
  const q = mapped(mapColumn('mysql', 'postgres', c, { table: 'customers', targetSchema: 'app' }));
  assert.equal(q.targetType, '"app"."customers_status"');

  const r = refineMapping(m, c, [probe('status', 'empty-enum', 7)], { schema: 'shop', table: 'customers' });
  assert.equal(r.mapping.lossy, true);
  assert.equal(r.findings[0]?.code, 'EMPTY_ENUM_VALUES');
  assert.equal(r.findings[0]?.severity, 'high');
  assert.match(r.findings[0]!.finding, /^7 rows of shop\.customers\.status hold ''/);
  assert.doesNotMatch(r.findings[0]!.mitigation, /to NULL/, 'a NOT NULL column cannot take NULL');

  // Not probed: one note lists what was not asked.
  const unprobed = refineMapping(m, c, []);
  assert.deepEqual(
    unprobed.mapping.notes.filter((n) => /not probed/.test(n)),
    ['not probed (empty-enum): the schema-only mapping applies'],
  );

  // '' declared as a member cannot be told apart from the error value: no probe.
  const declared = my2pg(col('size', "enum('','s','m')"), 'shirts');
  assert.deepEqual(declared.probes, []);
  assert.deepEqual(declared.enumType?.labels, ['', 's', 'm']);

  // An enum type name over 63 bytes is cut the way PostgreSQL would.
  const long = my2pg(col('status', "enum('a')"), 'x'.repeat(60));
  assert.equal(Buffer.byteLength(long.enumType!.name), 63);
});

test('SET becomes text[] with a membership CHECK (quotes escaped)', () => {
  const m = my2pg(col('tags', "set('new','sale','it''s')"));
  assert.equal(m.targetType, 'text[]');
  assert.deepEqual(m.checks, ["{col} <@ ARRAY['new', 'sale', 'it''s']::text[]"]);
  assert.ok(m.notes.some((n) => /normalised/.test(n)));
});

test('dates and times: types, zero-date probe, TIMESTAMP zone and 2038 range', () => {
  const date = my2pg(col('birthday', 'date'));
  assert.equal(date.targetType, 'date');
  assert.deepEqual(date.probes, ['zero-date']);
  assert.equal(date.reverseLossless, true);
  assert.equal(my2pg(col('at', 'datetime')).targetType, 'timestamp(0) without time zone');
  assert.equal(my2pg(col('at', 'datetime(6)')).targetType, 'timestamp(6) without time zone');

  const ts = my2pg(col('last_login', 'timestamp(3)'));
  assert.equal(ts.targetType, 'timestamp(3) with time zone');
  assert.equal(ts.reverseLossless, false);
  assert.match(ts.reverseReasons.join(' '), /2038/);
  assert.deepEqual(
    ts.risks.map((r) => [r.code, r.severity]),
    [['TIMESTAMP_TIMEZONE', 'medium']],
  );

  const nullable = col('created_at', 'datetime');
  const z = refineMapping(my2pg(nullable), nullable, [probe('created_at', 'zero-date', 12)], {
    schema: 'shop',
    table: 'customers',
  });
  assert.equal(z.mapping.targetType, 'timestamp(0) without time zone', 'the type stays');
  assert.equal(z.mapping.lossy, true);
  assert.equal(z.findings[0]?.code, 'ZERO_DATES');
  assert.equal(z.findings[0]?.severity, 'high');
  assert.match(z.findings[0]!.finding, /^12 rows of shop\.customers\.created_at hold zero or partial dates/);
  assert.match(z.findings[0]!.mitigation, /NULL/);
  const notNull = col('created_at', 'datetime', { nullable: false });
  const zn = refineMapping(my2pg(notNull), notNull, [probe('created_at', 'zero-date', 1)]);
  assert.match(zn.findings[0]!.mitigation, /NOT NULL, so NULL is not an option.*sentinel/);
  assert.match(zn.findings[0]!.finding, /^1 row of created_at /);

  const zeroDefault = my2pg(col('d', 'datetime', { default: "'0000-00-00 00:00:00'" }));
  assert.equal(zeroDefault.risks[0]?.code, 'ZERO_DATE_DEFAULT');
});

test('TIME becomes interval (it spans ±838h); YEAR becomes smallint', () => {
  const t = my2pg(col('window', 'time'));
  assert.equal(t.targetType, 'interval(0)');
  assert.equal(my2pg(col('window', 'time(6)')).targetType, 'interval');
  assert.deepEqual(t.probes, ['time-out-of-day']);
  assert.equal(t.reverseLossless, false);
  assert.match(t.reverseReasons[0]!, /838:59:59/);
  const r = refineMapping(t, col('window', 'time'), [probe('window', 'time-out-of-day', 4)]);
  assert.equal(r.mapping.targetType, 'interval(0)');
  assert.equal(r.findings[0]?.code, 'TIME_OUT_OF_DAY');

  const y = my2pg(col('y', 'year(4)'));
  assert.equal(y.targetType, 'smallint');
  assert.deepEqual(y.checks, ['({col} BETWEEN 1901 AND 2155 OR {col} = 0)']);
});

test('JSON becomes jsonb (lossy normalisation); MariaDB LONGTEXT JSON too; \\u0000 is probed', () => {
  const j = my2pg(col('prefs', 'json'));
  assert.equal(j.targetType, 'jsonb');
  assert.equal(j.lossy, true);
  assert.equal(j.reverseLossless, false, 'MySQL JSON rounds numbers to doubles');
  assert.deepEqual(j.probes, ['json-nul']);
  assert.deepEqual(
    j.risks.map((r) => [r.code, r.severity]),
    [['JSON_NORMALISED', 'low']],
  );
  const maria = my2pg(col('prefs', 'longtext', { isJson: true, collation: 'utf8mb4_bin' }));
  assert.equal(maria.targetType, 'jsonb');
  assert.deepEqual(maria.probes, ['json-nul'], 'no text probes for JSON');
  assert.equal(maria.reverseLossless, true);

  const c = col('prefs', 'json');
  const r = refineMapping(j, c, [probe('prefs', 'json-nul', 2)], { schema: 'shop', table: 'customers' });
  assert.equal(r.findings[0]?.code, 'JSON_NUL');
  assert.equal(r.findings[0]?.severity, 'high');
});

test('NUL bytes in text make the mapping lossy and raise a high finding', () => {
  const c = col('notes', 'text');
  const r = refineMapping(my2pg(c), c, [probe('notes', 'nul-byte', 5), probe('notes', 'trailing-space', 0)], {
    schema: 'shop',
    table: 'customers',
  });
  assert.equal(r.mapping.targetType, 'text');
  assert.equal(r.mapping.lossy, true);
  assert.deepEqual(
    r.findings.map((f) => [f.code, f.severity, f.column]),
    [['NUL_BYTES', 'high', 'notes']],
  );
  assert.match(r.findings[0]!.finding, /^5 rows of shop\.customers\.notes contain NUL bytes/);
});

test('binary types become bytea with length CHECKs; BINARY(16) is noted as a possible UUID', () => {
  const u = my2pg(col('uuid', 'binary(16)', { length: 16 }));
  assert.equal(u.targetType, 'bytea');
  assert.deepEqual(u.checks, ['octet_length({col}) = 16']);
  assert.ok(u.notes.some((n) => /UUID/.test(n) && /override/.test(n)));
  assert.deepEqual(my2pg(col('v', 'varbinary(20)', { length: 20 })).checks, ['octet_length({col}) <= 20']);
  assert.deepEqual(my2pg(col('img', 'blob')).checks, ['octet_length({col}) <= 65535']);
  assert.deepEqual(my2pg(col('img', 'longblob')).checks, []);
});

test('spatial types are not mapped automatically: WKB in bytea, lossy, with a high finding', () => {
  for (const t of ['point', 'geometry', 'polygon', 'geomcollection']) {
    const m = my2pg(col('location', t));
    assert.equal(m.targetType, 'bytea', t);
    assert.equal(m.lossy, true, t);
    assert.equal(m.reverseLossless, false, t);
    assert.deepEqual(
      m.risks.map((r) => [r.code, r.severity]),
      [['SPATIAL_TYPE', 'high']],
      t,
    );
  }
});

test('generated columns are recreated from a translated expression, never probed or copied', () => {
  const g = my2pg(
    col('title_upper', 'varchar(200)', { generated: { expression: 'upper(`title`)', stored: false } }),
  );
  assert.deepEqual(g.generated, { expression: 'upper(`title`)', stored: true, translate: true });
  assert.deepEqual(g.probes, []);
  assert.ok(g.notes.some((n) => /GENERATED ALWAYS AS \(upper\(`title`\)\) STORED/.test(n)));
  assert.ok(g.notes.some((n) => /VIRTUAL/.test(n)));
  assert.equal(g.risks.find((r) => r.code === 'GENERATED_COLUMN')?.severity, 'medium');
});

test('AUTO_INCREMENT becomes identity, or a sequence default on numeric(20,0)', () => {
  const id = my2pg(col('id', 'int(10) unsigned', { autoIncrement: true, nullable: false }));
  assert.equal(id.autoIncrement, 'identity');
  assert.ok(id.notes.some((n) => /GENERATED BY DEFAULT AS IDENTITY/.test(n) && /MAX/.test(n)));
  const big = my2pg(col('id', 'bigint(20) unsigned', { autoIncrement: true, nullable: false }));
  assert.equal(big.targetType, 'numeric(20,0)');
  assert.equal(big.autoIncrement, 'sequence');
  // tinyint(1) auto_increment is a counter, not a boolean candidate
  assert.deepEqual(my2pg(col('n', 'tinyint(1)', { autoIncrement: true })).probes, []);
});

test('MariaDB UUID and INET6 map to native PostgreSQL types; unknown types are refused explicitly', () => {
  assert.equal(my2pg(col('u', 'uuid')).targetType, 'uuid');
  assert.equal(my2pg(col('ip', 'inet6')).targetType, 'inet');
  const r = refused(mapColumn('mysql', 'postgres', col('v', 'vector(3)')));
  assert.equal(r.column, 'v');
  assert.equal(r.sourceType, 'vector(3)');
  assert.match(r.reason, /column v \(vector\(3\)\)/);
});

// ---------------------------------------------------------------------------------------------
// Same engine

test('PostgreSQL -> PostgreSQL keeps the native type, reverse lossless, with collation notes', () => {
  const m = mapped(
    mapColumn(
      'postgres',
      'postgres',
      pgCol('name', 'character varying(50)', 'character varying', { collation: 'de-x-icu' }),
    ),
  );
  assert.equal(m.targetType, 'character varying(50)');
  assert.equal(m.reverseLossless, true);
  assert.equal(m.lossy, false);
  assert.ok(m.notes.some((n) => /collation de-x-icu must exist on the target/.test(n)));
  assert.equal(m.risks[0]?.code, 'COLLATION_ON_TARGET');
  const arr = mapped(mapColumn('postgres', 'postgres', pgCol('r', 'int4range', 'int4range')));
  assert.equal(arr.targetType, 'int4range');
  const e = mapped(
    mapColumn('postgres', 'postgres', pgCol('mood', 'mood', 'mood', { enumValues: ['sad', 'ok'] })),
  );
  assert.equal(e.targetType, 'mood');
  assert.ok(e.notes.some((n) => /enum type mood/.test(n)));
});

test('MySQL -> MySQL keeps the native type', () => {
  const m = mapped(mapColumn('mysql', 'mysql', col('id', 'int(10) unsigned', { autoIncrement: true })));
  assert.equal(m.targetType, 'int(10) unsigned');
  assert.equal(m.reverseLossless, true);
  assert.equal(m.autoIncrement, 'auto_increment');
  const c = mapped(mapColumn('mysql', 'mysql', col('s', 'varchar(10)', { collation: 'utf8mb4_0900_ai_ci' })));
  assert.ok(c.notes.some((n) => /MariaDB before 11\.4/.test(n)));
});

// ---------------------------------------------------------------------------------------------
// PostgreSQL -> MySQL

const DATE_CHECK = "{col} >= '0001-01-01' AND MONTH({col}) <> 0 AND DAYOFMONTH({col}) <> 0";

test('PostgreSQL -> MySQL: the types that translate', () => {
  const cases: [ColumnModel, string, string[]][] = [
    [pgCol('a', 'smallint', 'smallint'), 'smallint', []],
    [pgCol('a', 'integer', 'integer'), 'int', []],
    [pgCol('a', 'bigint', 'bigint'), 'bigint', []],
    [pgCol('a', 'numeric(12,2)', 'numeric', { precision: 12, scale: 2 }), 'decimal(12,2)', []],
    [pgCol('a', 'real', 'real'), 'float', []],
    [pgCol('a', 'double precision', 'double precision'), 'double', []],
    [pgCol('a', 'boolean', 'boolean'), 'tinyint(1)', ['{col} IN (0, 1)']],
    [
      pgCol('a', 'character varying(255)', 'character varying', { length: 255 }),
      'varchar(255) character set utf8mb4 collate utf8mb4_bin',
      ['LOCATE(CHAR(0 USING utf8mb4), {col}) = 0'],
    ],
    [
      pgCol('a', 'character(2)', 'character', { length: 2 }),
      'char(2) character set utf8mb4 collate utf8mb4_bin',
      ['LOCATE(CHAR(0 USING utf8mb4), {col}) = 0'],
    ],
    [
      pgCol('a', 'text', 'text'),
      'longtext character set utf8mb4 collate utf8mb4_bin',
      ['LOCATE(CHAR(0 USING utf8mb4), {col}) = 0'],
    ],
    [pgCol('a', 'bytea', 'bytea'), 'longblob', []],
    [pgCol('a', 'date', 'date'), 'date', [DATE_CHECK]],
    [
      pgCol('a', 'timestamp(3) without time zone', 'timestamp without time zone', { scale: 3 }),
      'datetime(3)',
      [DATE_CHECK],
    ],
    [
      pgCol('a', 'timestamp with time zone', 'timestamp with time zone', { scale: 6 }),
      'datetime(6)',
      [DATE_CHECK],
    ],
    [
      pgCol('a', 'time without time zone', 'time without time zone', { scale: 6 }),
      'time(6)',
      ["{col} BETWEEN '00:00:00' AND '24:00:00'"],
    ],
    [pgCol('a', 'json', 'json'), 'json', []],
    [pgCol('a', 'jsonb', 'jsonb'), 'json', []],
    [
      pgCol('a', 'uuid', 'uuid'),
      'char(36) character set ascii collate ascii_general_ci',
      ["{col} REGEXP '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'"],
    ],
    [
      pgCol('a', 'mood', 'mood', { enumValues: ['sad', "it's", 'back\\slash'] }),
      "enum('sad','it''s','back\\\\slash') character set utf8mb4 collate utf8mb4_bin",
      [],
    ],
  ];
  for (const [c, target, checks] of cases) {
    const m = mapped(pg2my(c));
    assert.equal(m.targetType, target, c.nativeType);
    assert.deepEqual(m.checks, checks, c.nativeType);
  }
});

test('PostgreSQL -> MySQL flags: lossy JSON numbers, timestamptz in UTC, the date-range probe', () => {
  const tz = mapped(pg2my(pgCol('at', 'timestamp with time zone', 'timestamp with time zone', { scale: 6 })));
  assert.equal(tz.risks[0]?.code, 'TIMESTAMP_TIMEZONE');
  assert.ok(tz.notes.some((n) => /UTC/.test(n)));
  assert.deepEqual(tz.probes, ['timestamp-out-of-range']);
  assert.equal(tz.reverseLossless, true);
  const r = refineMapping(tz, pgCol('at', 'timestamptz', 'timestamp with time zone'), [
    probe('at', 'timestamp-out-of-range', 9),
  ]);
  assert.equal(r.findings[0]?.code, 'TIMESTAMP_OUT_OF_RANGE');
  assert.equal(r.findings[0]?.severity, 'medium');

  const jsonb = mapped(pg2my(pgCol('doc', 'jsonb', 'jsonb')));
  assert.equal(jsonb.lossy, true);
  assert.equal(jsonb.reverseLossless, false, 'MySQL JSON accepts \\u0000, jsonb does not');
  assert.equal(mapped(pg2my(pgCol('doc', 'json', 'json'))).reverseLossless, true);

  const num = mapped(pg2my(pgCol('amount', 'numeric', 'numeric')));
  assert.equal(num.targetType, 'decimal(65,30)');
  assert.equal(num.lossy, true);
  assert.equal(num.risks[0]?.code, 'LOSSY_CONVERSION');

  const ivl = mapped(pg2my(pgCol('d', 'interval hour to second', 'interval', { scale: 6 })));
  assert.equal(ivl.targetType, 'time(6)');
  assert.equal(ivl.lossy, true);

  const identity = mapped(
    pg2my(pgCol('id', 'bigint', 'bigint', { autoIncrement: true, identity: 'always' })),
  );
  assert.equal(identity.autoIncrement, 'auto_increment');
  assert.ok(identity.notes.some((n) => /cannot forbid explicit values/.test(n)));
});

test('PostgreSQL -> MySQL: enum labels ending in a space are lossy on MySQL', () => {
  const m = mapped(pg2my(pgCol('size', 'size', 'size', { enumValues: ['s', 'm '] })));
  assert.equal(m.lossy, true);
  assert.deepEqual(
    m.risks.map((r) => [r.code, r.severity]),
    [['LOSSY_CONVERSION', 'high']],
  );
  assert.match(m.risks[0]!.finding, /"m "/);
});

test('PostgreSQL -> MySQL refuses types MySQL cannot hold, naming the column and the type', () => {
  const cases: [ColumnModel, RegExp][] = [
    [pgCol('during', 'int4range', 'int4range'), /range/],
    [pgCol('tags', 'text[]', 'array', { arrayOf: 'text' }), /arrays/],
    [pgCol('d', 'interval', 'interval', { scale: 6 }), /day, month or year/],
    [pgCol('d', 'interval day to second', 'interval', { scale: 6 }), /day, month or year/],
    [pgCol('p', 'point', 'point'), /geometric/],
    [pgCol('s', 'tsvector', 'tsvector'), /full-text/],
    [pgCol('h', 'hstore', 'hstore'), /hstore/],
    [pgCol('c', 'address', 'address'), /composite, extension/],
    [pgCol('m', 'money', 'money'), /lc_monetary/],
    [pgCol('t', 'time with time zone', 'time with time zone'), /time-with-offset/],
    [pgCol('n', 'numeric(70,2)', 'numeric', { precision: 70, scale: 2 }), /65 digits/],
  ];
  for (const [c, why] of cases) {
    const r = refused(pg2my(c));
    assert.equal(r.column, c.name);
    assert.equal(r.sourceType, c.nativeType);
    assert.ok(r.reason.includes(`column ${c.name} (${c.nativeType})`), r.reason);
    assert.match(r.reason, why);
  }
});

test('PostgreSQL -> MySQL: a domain maps by its base type and says its constraints are lost', () => {
  const m = mapped(pg2my(pgCol('zip', 'us_postal_code', 'text')));
  assert.equal(m.targetType, 'longtext character set utf8mb4 collate utf8mb4_bin');
  assert.equal(m.reverseLossless, false);
  assert.equal(m.risks[0]?.code, 'DOMAIN_CONSTRAINTS_LOST');
  // A plain column whose native type prints modifiers is not mistaken for a domain.
  assert.deepEqual(
    mapped(
      pg2my(pgCol('t', 'timestamp(3) with time zone', 'timestamp with time zone', { scale: 3 })),
    ).risks.map((r) => r.code),
    ['TIMESTAMP_TIMEZONE'],
  );
});

test('truncateIdentifier cuts at 63 bytes without splitting a character', () => {
  assert.equal(truncateIdentifier('a'.repeat(64)), 'a'.repeat(63));
  assert.equal(truncateIdentifier('short'), 'short');
  const s = 'a'.repeat(62) + 'é'; // 64 bytes: the 2-byte é does not fit
  assert.equal(truncateIdentifier(s), 'a'.repeat(62));
});
