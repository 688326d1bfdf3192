// Canonical row encoding: pairs of wire values that must encode equal (same data on MySQL and
// PostgreSQL) and pairs that must not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalColumn,
  canonicalColumns,
  canonicalJson,
  canonicalRow,
  canonicalTimestamp,
  canonicalValue,
  classifyType,
  durationMicros,
  normalizeDecimal,
  pairDomain,
  parsePgArray,
  type CanonicalColumn,
} from '../../src/dataplane/validate/canonical';
import { rowEncoders } from '../../src/dataplane/validate/canonical/encode';
import type { EngineKind } from '../../src/engines/model';

function col(from: EngineKind, sourceType: string, to: EngineKind, targetType: string): CanonicalColumn {
  const s = classifyType(from, sourceType);
  const t = classifyType(to, targetType);
  return { name: 'c', domain: pairDomain(s, t), source: s, target: t };
}

/** [mysql type, postgres type, mysql value, postgres value] */
type Pair = [string, string, unknown, unknown];

const EQUAL: Pair[] = [
  ['int', 'integer', 12, 12],
  ['bigint unsigned', 'numeric(20,0)', '18446744073709551615', '18446744073709551615'],
  ['bigint', 'bigint', '-9223372036854775808', '-9223372036854775808'],
  ['int unsigned', 'bigint', 4294967295, '4294967295'],
  ['decimal(10,2)', 'numeric(10,2)', '12.00', '12.00'],
  ['decimal(10,2)', 'numeric(10,3)', '12.50', '12.500'],
  ['decimal(10,2)', 'numeric(10,2)', '-0.00', '0.00'],
  ['decimal(65,30)', 'numeric', '12.500000000000000000000000000000', '12.5'],
  ['int', 'numeric(10,0)', 12, '12'],
  ['tinyint(1)', 'boolean', 1, true],
  ['tinyint(1)', 'boolean', 0, false],
  ['bit(1)', 'boolean', Buffer.from([1]), true],
  ['tinyint(1)', 'smallint', 2, 2],
  ['float', 'real', 1.1, 1.1],
  ['float', 'real', 0.30000001192092896, 0.3],
  ['double', 'double precision', 0.1, 0.1],
  ['double', 'double precision', 1e300, 1e300],
  ['double', 'double precision', -0, 0],
  ['double', 'double precision', 'NaN', NaN],
  ['year', 'smallint', 2024, 2024],
  ['year', 'smallint', 0, 0],
  ['varchar(10)', 'character varying(10)', 'héllo 😀', 'héllo 😀'],
  ['varchar(10)', 'character varying(10)', 'a ', 'a '],
  ['char(5)', 'character(5)', 'ab', 'ab   '],
  ['text', 'text', '', ''],
  ["enum('a','b')", '"t_mood"', 'a', 'a'],
  ["set('a','b','c')", 'text[]', 'a,c', '{a,c}'],
  ["set('a','b')", 'text[]', '', '{}'],
  ["set('a b','c')", 'text[]', 'a b,c', '{"a b",c}'],
  ['date', 'date', '2024-02-29', '2024-02-29'],
  ['datetime(6)', 'timestamp(6) without time zone', '2024-01-31 12:00:00.100000', '2024-01-31 12:00:00.1'],
  ['datetime', 'timestamp(0) without time zone', '2024-01-31 12:00:00', '2024-01-31 12:00:00'],
  ['timestamp(3)', 'timestamp(3) with time zone', '2024-01-31 12:00:00.120', '2024-01-31 12:00:00.12+00'],
  ['timestamp', 'timestamp(0) with time zone', '2024-01-31 12:00:00', '2024-01-31 17:30:00+05:30'],
  ['timestamp', 'timestamp(0) with time zone', '2024-01-01 02:00:00', '2023-12-31 23:00:00-03'],
  ['time', 'interval(0)', '838:59:59', '34 days 22:59:59'],
  ['time', 'interval(0)', '838:59:59', '838:59:59'],
  ['time(6)', 'interval', '-01:00:00.500000', '-01:00:00.5'],
  ['time', 'interval(0)', '-838:59:59', '-34 days -22:59:59'],
  ['time', 'interval(0)', '00:00:00', '00:00:00'],
  ['json', 'jsonb', '{"b": 1, "a": [1.0, "x"]}', '{"a": [1.0, "x"], "b": 1}'],
  ['json', 'jsonb', '{"a": 1, "a": 2}', '{"a": 2}'],
  ['json', 'jsonb', '{"n": 1e2}', '{"n": 100}'],
  ['json', 'jsonb', '{"s": "\\u00e9"}', '{"s": "é"}'],
  ['json', 'jsonb', '12345678901234567890123', '12345678901234567890123'],
  ['varbinary(10)', 'bytea', Buffer.from([0, 1, 255]), Buffer.from([0, 1, 255])],
  ['binary(4)', 'bytea', Buffer.from('ab\0\0'), { $binary: Buffer.from('ab\0\0').toString('base64') }],
  ['uuid', 'uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  [
    'binary(16)',
    'uuid',
    Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'),
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  ],
  ['bit(5)', 'bit varying(5)', Buffer.from([0b101]), '00101'],
  ['int', 'integer', null, null],
];

const DIFFERENT: Pair[] = [
  ['int', 'integer', 12, 13],
  ['decimal(10,3)', 'numeric(10,2)', '12.001', '12.00'],
  ['decimal(65,30)', 'numeric', '0.123456789012345678901234567890', '0.1234567890123456789012345678901'],
  ['tinyint(1)', 'boolean', 2, true],
  ['tinyint(1)', 'boolean', 1, false],
  ['float', 'real', 1.1, 1.1000001],
  ['double', 'double precision', 0.1, 0.1000000000000001],
  ['double', 'double precision', 'NaN', 0],
  ['varchar(10)', 'text', 'A', 'a'],
  ['varchar(10)', 'text', 'a', 'a '],
  ['varchar(10)', 'text', 'e\u0301', 'é'],
  ['varchar(10)', 'text', '', null],
  ['varchar(10)', 'text', 'NULL', null],
  ["enum('a','b')", '"t_mood"', '', 'a'],
  ["set('a','b')", 'text[]', 'a,b', '{b,a}'],
  ["set('a','b')", 'text[]', 'a', '{a,NULL}'],
  ['datetime(6)', 'timestamp(6) without time zone', '2024-01-31 12:00:00.000001', '2024-01-31 12:00:00'],
  ['timestamp', 'timestamp(0) with time zone', '2024-01-31 12:00:00', '2024-01-31 12:00:00+01'],
  ['date', 'date', '0000-00-00', '0001-01-01'],
  ['time', 'interval(0)', '838:59:59', '34 days 22:59:58'],
  ['time', 'interval(0)', '-01:00:00', '01:00:00'],
  ['json', 'jsonb', '{"a": 1}', '{"a": "1"}'],
  ['json', 'jsonb', '{"a": 1, "a": 2}', '{"a": 1}'],
  ['json', 'jsonb', '[1, 2]', '[2, 1]'],
  ['json', 'jsonb', '{"a": null}', '{}'],
  ['varbinary(10)', 'bytea', Buffer.from([0, 1]), Buffer.from([0, 1, 0])],
  ['binary(16)', 'uuid', Buffer.alloc(16), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['bit(5)', 'bit varying(5)', Buffer.from([0b101]), '00100'],
];

test('equivalent MySQL and PostgreSQL values encode identically', () => {
  for (const [mt, pt, mv, pv] of EQUAL) {
    const c = col('mysql', mt, 'postgres', pt);
    assert.equal(
      canonicalValue(c, 'source', mv),
      canonicalValue(c, 'target', pv),
      `${mt} ${String(mv)} vs ${pt} ${String(pv)} (${c.domain})`,
    );
    // And the other direction (PostgreSQL source, MySQL target) where the pair is symmetric.
    const r = col('postgres', pt, 'mysql', mt);
    assert.equal(canonicalValue(r, 'source', pv), canonicalValue(r, 'target', mv), `reverse ${mt} vs ${pt}`);
  }
});

test('different data encodes differently', () => {
  for (const [mt, pt, mv, pv] of DIFFERENT) {
    const c = col('mysql', mt, 'postgres', pt);
    assert.notEqual(
      canonicalValue(c, 'source', mv),
      canonicalValue(c, 'target', pv),
      `${mt} ${String(mv)} vs ${pt} ${String(pv)} (${c.domain})`,
    );
  }
});

test('domains chosen for the mapped pairs', () => {
  const cases: [string, string, string][] = [
    ['tinyint(1)', 'boolean', 'boolean'],
    ['tinyint(1)', 'smallint', 'number'],
    ['bigint unsigned', 'numeric(20,0)', 'number'],
    ["set('a')", 'text[]', 'set'],
    ['time(3)', 'interval(3)', 'duration'],
    ['timestamp(6)', 'timestamp(6) with time zone', 'timestamp'],
    ['json', 'jsonb', 'json'],
    ["enum('x')", '"s"."t_c"', 'text'],
    ['char(3)', 'character(3)', 'text'],
    ['float', 'real', 'float4'],
    ['double', 'double precision', 'float8'],
    ['blob', 'bytea', 'binary'],
    ['year', 'smallint', 'number'],
    ['inet6', 'inet', 'raw'],
  ];
  for (const [m, p, d] of cases) assert.equal(col('mysql', m, 'postgres', p).domain, d, `${m} -> ${p}`);
  assert.equal(
    col('postgres', 'uuid', 'mysql', 'char(36) character set ascii collate ascii_general_ci').domain,
    'uuid',
  );
  assert.equal(col('postgres', 'boolean', 'mysql', 'tinyint(1)').domain, 'boolean');
});

test('canonicalColumn reads the source model and the mapped target type', () => {
  const c = canonicalColumn(
    'mysql',
    'postgres',
    {
      name: 'flag',
      ordinal: 1,
      nativeType: 'tinyint(1)',
      dataType: 'tinyint',
      nullable: true,
      default: null,
      generated: null,
      autoIncrement: false,
      identity: null,
      unsigned: false,
      length: null,
      precision: 3,
      scale: 0,
      charset: null,
      collation: null,
      enumValues: null,
      arrayOf: null,
      isJson: false,
      comment: null,
    },
    'boolean',
  );
  assert.equal(c.domain, 'boolean');
  assert.equal(c.name, 'flag');
});

test('rows: NULL vs empty string, value boundaries cannot shift', () => {
  const cols = [col('mysql', 'text', 'postgres', 'text'), col('mysql', 'text', 'postgres', 'text')];
  assert.notEqual(canonicalRow(cols, 'source', ['a', 'b']), canonicalRow(cols, 'target', ['a","s:b', '']));
  assert.notEqual(canonicalRow(cols, 'source', ['', null]), canonicalRow(cols, 'target', [null, '']));
  assert.equal(canonicalRow(cols, 'source', ['x', null]), canonicalRow(cols, 'target', ['x', null]));
  assert.throws(() => canonicalRow(cols, 'source', ['x']));
});

test('helpers', () => {
  assert.equal(normalizeDecimal('0012.3400'), '1234e-2');
  assert.equal(normalizeDecimal('-0.000'), '0');
  assert.equal(normalizeDecimal('1e3'), '1e3');
  assert.equal(normalizeDecimal('1000'), '1e3');
  assert.equal(normalizeDecimal('NaN'), null);
  assert.deepEqual(parsePgArray('{a,"b,c","d\\"e",NULL,"NULL"}'), ['a', 'b,c', 'd"e', null, 'NULL']);
  assert.deepEqual(parsePgArray('{}'), []);
  assert.equal(canonicalTimestamp('2024-01-01 00:30:00+01'), '2023-12-31 23:30:00.000000');
  assert.equal(canonicalTimestamp('0044-03-15 12:00:00 BC'), '0044-03-15 12:00:00.000000 BC');
  assert.equal(canonicalTimestamp('infinity'), '"infinity"');
  assert.equal(
    durationMicros('1 year 2 mons 3 days 04:05:06.5', 'postgres', 'interval'),
    ((360n + 60n + 3n) * 86400n + 4n * 3600n + 5n * 60n + 6n) * 1000000n + 500000n,
  );
  assert.equal(durationMicros('-1 days +02:00:00', 'postgres', 'interval'), -22n * 3600n * 1000000n);
  assert.equal(
    canonicalJson('{"b":{"d":1,"c":[true,null]},"a":0.50}'),
    '{"a":5e-1,"b":{"c":[true,null],"d":1e0}}',
  );
  assert.equal(canonicalJson('{bad'), '?"{bad"');
});

test('canonicalColumns pairs a table with its mapped types and refuses a column without a counterpart', () => {
  const base = {
    ordinal: 1,
    dataType: '',
    nullable: true,
    default: null,
    generated: null,
    autoIncrement: false,
    identity: null,
    unsigned: false,
    length: null,
    precision: null,
    scale: null,
    charset: null,
    collation: null,
    enumValues: null,
    arrayOf: null,
    isJson: false,
    comment: null,
  };
  const table = {
    name: 't',
    columns: [
      { ...base, name: 'id', nativeType: 'bigint unsigned', dataType: 'bigint' },
      { ...base, name: 'tags', nativeType: "set('a','b')", dataType: 'set' },
      { ...base, name: 'gone', nativeType: 'int', dataType: 'int' },
    ],
  } as unknown as Parameters<typeof canonicalColumns>[2];
  const cols = canonicalColumns(
    'mysql',
    'postgres',
    table,
    { id: 'numeric(20,0)', tags: 'text[]' },
    { exclude: ['gone'] },
  );
  assert.deepEqual(
    cols.map((c) => [c.name, c.domain]),
    [
      ['id', 'number'],
      ['tags', 'set'],
    ],
  );
  assert.throws(
    () => canonicalColumns('mysql', 'postgres', table, { id: 'numeric(20,0)' }),
    /"tags" of "t" has no counterpart/,
  );
});

test('the precompiled encoders give exactly canonicalValue for every value, fast path or not', () => {
  const columns: CanonicalColumn[] = [
    col('mysql', 'decimal(12,2)', 'postgres', 'numeric(12,2)'),
    col('mysql', 'bigint', 'postgres', 'bigint'),
    col('mysql', 'tinyint(1)', 'postgres', 'boolean'),
    col('mysql', 'varchar(10)', 'postgres', 'text'),
    col('mysql', 'char(4)', 'postgres', 'char(4)'),
    col('mysql', 'datetime(6)', 'postgres', 'timestamp(6) without time zone'),
    col('mysql', 'timestamp(6)', 'postgres', 'timestamptz'),
    col('mysql', 'date', 'postgres', 'date'),
    col('mysql', 'double', 'postgres', 'double precision'),
    col('mysql', 'json', 'postgres', 'jsonb'),
  ];
  const values: unknown[] = [
    null,
    undefined,
    0,
    -0,
    1,
    -1,
    2,
    120,
    -120,
    1000000,
    2 ** 53 - 1,
    2 ** 53,
    1e21,
    0.5,
    -12.25,
    NaN,
    Infinity,
    true,
    false,
    10n,
    '0',
    '-0',
    '-0.00',
    '00',
    '007',
    '1200',
    '1200.00',
    '123.4500',
    '0.050',
    '10.5',
    '-10.50',
    '12.',
    '.5',
    '-',
    '.',
    '',
    ' 12',
    '12 ',
    '+12',
    '1e3',
    '1.5E-2',
    'NaN',
    'abc',
    'a"b\\c\n',
    'é',
    'ab  ',
    '2020-01-01 00:00:01.000123',
    '2020-01-01T00:00:01.000123',
    '2020-01-01 00:00:01',
    '2020-01-01 00:00:01.000123+05:30',
    '2020-01-01 00:00:01.0001234',
    '2020-01-01',
    'infinity',
    '{"b":1,"a":[1.0,2]}',
    Buffer.from('12.50'),
    { $binary: 'AQ==' },
  ];
  for (const side of ['source', 'target'] as const) {
    const enc = rowEncoders(columns, side);
    columns.forEach((c, i) => {
      for (const v of values) {
        let expected: string;
        try {
          expected = canonicalValue(c, side, v);
        } catch (e) {
          assert.throws(() => enc[i]!(v), { message: (e as Error).message });
          continue;
        }
        assert.equal(enc[i]!(v), expected, `${c.domain} ${side} ${String(v)}`);
      }
    });
  }
});
