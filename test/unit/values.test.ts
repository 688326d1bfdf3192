// The value translator, one conversion at a time: MySQL -> PostgreSQL, PostgreSQL -> MySQL and the
// identities, including the errors that must name the table, the column and the key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  columnConverter,
  rowTranslator,
  ValueTranslationError,
  type ColumnConversion,
  type ZeroDatePolicy,
} from '../../src/dataplane/values';
import { bitString, textArrayLiteral, uuidFromBytes } from '../../src/dataplane/values/mysql-to-postgres';
import { bitsToBuffer, intervalToTime, utcDatetime } from '../../src/dataplane/values/postgres-to-mysql';
import { EngineInputError } from '../../src/engines/errors';
import { col } from '../helpers/model-fixtures';

const my = (
  native: string,
  targetType: string,
  zeroDates?: ZeroDatePolicy,
  extra = {},
): ColumnConversion => ({
  source: col('c', native, extra),
  targetType,
  zeroDates,
});
const m2p = (c: ColumnConversion) => columnConverter('mysql', 'postgres', c);
const pgc = (dataType: string, targetType: string): ColumnConversion => ({
  source: col('c', dataType, { dataType }),
  targetType,
});
const p2m = (c: ColumnConversion) => columnConverter('postgres', 'mysql', c);

describe('MySQL -> PostgreSQL values', () => {
  test('integers, unsigned, BIGINT UNSIGNED, DECIMAL, FLOAT/DOUBLE pass exactly', () => {
    assert.equal(m2p(my('int(10) unsigned', 'bigint'))(4294967295), 4294967295);
    assert.equal(
      m2p(my('bigint(20) unsigned', 'numeric(20,0)'))('18446744073709551615'),
      '18446744073709551615',
    );
    assert.equal(m2p(my('bigint(20)', 'bigint'))('-9223372036854775808'), '-9223372036854775808');
    assert.equal(
      m2p(my('decimal(65,30)', 'numeric(65,30)'))('-1.000000000000000000000000000001'),
      '-1.000000000000000000000000000001',
    );
    assert.equal(m2p(my('float', 'real'))(1.1), 1.1);
    assert.equal(m2p(my('double', 'double precision'))(5e-324), 5e-324);
    assert.equal(m2p(my('int(11)', 'integer'))(null), null);
  });

  test('TINYINT(1) becomes boolean only when mapped so, and refuses other values', () => {
    const b = m2p(my('tinyint(1)', 'boolean'));
    assert.equal(b(0), false);
    assert.equal(b(1), true);
    assert.equal(b(null), null);
    assert.throws(() => b(2), /2 is not 0 or 1/);
    assert.equal(m2p(my('tinyint(1)', 'smallint'))(2), 2);
  });

  test('BIT', () => {
    assert.equal(m2p(my('bit(1)', 'boolean'))(Buffer.from([1])), true);
    assert.equal(m2p(my('bit(1)', 'boolean'))(Buffer.from([0])), false);
    assert.equal(
      m2p(my('bit(10)', 'bit varying(10)', undefined, { precision: 10 }))(Buffer.from([2, 5])),
      '1000000101',
    );
    assert.equal(m2p(my('bit(3)', 'bit varying(3)', undefined, { precision: 3 }))(Buffer.from([5])), '101');
    assert.equal(bitString(Buffer.from([0]), 1), '0');
    assert.throws(() => bitString(Buffer.from([0xff]), 4), /more than 4 bits/);
    assert.equal(
      m2p(my('bit(64)', 'numeric(20,0)', undefined, { precision: 64 }))(Buffer.alloc(8, 0xff)),
      '18446744073709551615',
    );
  });

  test('dates: exact text, TIMESTAMP as UTC, zero dates by policy', () => {
    assert.equal(m2p(my('date', 'date'))('2024-02-29'), '2024-02-29');
    assert.equal(
      m2p(my('datetime(6)', 'timestamp(6) without time zone'))('9999-12-31 23:59:59.999999'),
      '9999-12-31 23:59:59.999999',
    );
    assert.equal(
      m2p(my('timestamp(3)', 'timestamp(3) with time zone'))('2038-01-19 03:14:07.999'),
      '2038-01-19 03:14:07.999+00',
    );
    for (const zero of ['0000-00-00', '2024-00-15', '2024-01-00', '0000-00-00 00:00:00']) {
      assert.throws(
        () => m2p(my('datetime', 'timestamp(0) without time zone'))(zero),
        /zero or partial date/,
      );
      assert.equal(m2p(my('date', 'date', 'null'))(zero), null);
      assert.equal(m2p(my('date', 'date', { sentinel: '0001-01-01' }))(zero), '0001-01-01');
    }
  });

  test('TIME, YEAR, ENUM, SET', () => {
    assert.equal(m2p(my('time', 'interval(0)'))('-838:59:59'), '-838:59:59');
    assert.equal(m2p(my('time(6)', 'interval'))('12:00:00.000001'), '12:00:00.000001');
    assert.equal(m2p(my('year(4)', 'smallint'))(2155), 2155);
    assert.equal(m2p(my('year(4)', 'smallint'))(0), 0);
    const e = m2p(my("enum('a','b c','')", 't_c'));
    assert.equal(e('b c'), 'b c');
    assert.equal(e(''), '');
    assert.throws(() => m2p(my("enum('a')", 't_c'))(''), /invalid-ENUM/);
    const s = m2p(my("set('a','b,','c\"d')", 'text[]'));
    assert.equal(s(''), '{}');
    assert.equal(s('a,c"d'), '{"a","c\\"d"}');
    assert.equal(textArrayLiteral(['x\\y', 'NULL', ' ']), '{"x\\\\y","NULL"," "}');
  });

  test('JSON (MySQL and the MariaDB alias), text, binary, uuid override', () => {
    const j = m2p(my('longtext', 'jsonb', undefined, { isJson: true }));
    assert.equal(j('{"b": 1, "a": "🚀"}'), '{"b": 1, "a": "🚀"}');
    assert.equal(j('"\\\\u0000"'), '"\\\\u0000"');
    assert.throws(() => j('"a\\u0000"'), /jsonb rejects/);
    assert.equal(m2p(my('json', 'jsonb'))('[1]'), '[1]');
    assert.equal(m2p(my('varchar(10)', 'character varying(10)'))('𝄞 é'), '𝄞 é');
    assert.throws(() => m2p(my('text', 'text'))('a\0b'), /NUL/);
    const bin = Buffer.from([0, 1, 255]);
    assert.equal(m2p(my('blob', 'bytea'))(bin), bin);
    assert.equal(
      m2p(my('binary(16)', 'uuid'))(Buffer.from('00112233445566778899aabbccddeeff', 'hex')),
      '00112233-4455-6677-8899-aabbccddeeff',
    );
    assert.throws(() => uuidFromBytes(Buffer.alloc(3)), /16 bytes/);
  });
});

describe('PostgreSQL -> MySQL values', () => {
  test('boolean, numbers, numeric specials', () => {
    assert.equal(p2m(pgc('boolean', 'tinyint(1)'))(true), 1);
    assert.equal(p2m(pgc('boolean', 'tinyint(1)'))(false), 0);
    assert.equal(p2m(pgc('bigint', 'bigint'))('-9223372036854775808'), '-9223372036854775808');
    assert.equal(p2m(pgc('numeric', 'decimal(65,30)'))('1.5'), '1.5');
    assert.throws(() => p2m(pgc('numeric', 'decimal(10,2)'))('NaN'), /NaN/);
    assert.throws(() => p2m(pgc('double precision', 'double'))(Infinity), /Infinity/);
    assert.equal(p2m(pgc('real', 'float'))(1.5), 1.5);
  });

  test('timestamps in UTC, dates, intervals, bits', () => {
    assert.equal(utcDatetime('2024-01-31 12:00:00.123456+00'), '2024-01-31 12:00:00.123456');
    assert.equal(utcDatetime('2024-01-31 23:30:00.5+05:30'), '2024-01-31 18:00:00.5');
    assert.throws(() => utcDatetime('infinity'), /infinity/);
    assert.throws(() => p2m(pgc('date', 'date'))('0044-03-15 BC'), /BC/);
    assert.equal(
      p2m(pgc('timestamp with time zone', 'datetime(6)'))('1999-12-31 23:59:59+00'),
      '1999-12-31 23:59:59',
    );
    assert.equal(
      p2m(pgc('timestamp without time zone', 'datetime(6)'))('2000-01-01 00:00:00'),
      '2000-01-01 00:00:00',
    );
    assert.equal(intervalToTime('838:59:59'), '838:59:59');
    assert.equal(intervalToTime('-00:00:01.5'), '-00:00:01.5');
    assert.equal(intervalToTime('1 day 02:00:00'), '26:00:00');
    assert.equal(intervalToTime('2 days'), '48:00:00');
    assert.throws(() => intervalToTime('1 mon'), /month/);
    assert.throws(() => intervalToTime('839:00:00'), /838:59:59/);
    assert.deepEqual(bitsToBuffer('1000000101'), Buffer.from([2, 5]));
    assert.deepEqual(p2m(pgc('bit', 'bit(3)'))('101'), Buffer.from([5]));
  });

  test('uuid, json, bytea, text pass as they are', () => {
    const u = '00112233-4455-6677-8899-aabbccddeeff';
    assert.equal(p2m(pgc('uuid', 'char(36)'))(u), u);
    assert.equal(p2m(pgc('jsonb', 'json'))('{"a": 1}'), '{"a": 1}');
    const b = Buffer.from([0, 9]);
    assert.equal(p2m(pgc('bytea', 'longblob'))(b), b);
    assert.equal(p2m(pgc('text', 'longtext'))(null), null);
  });
});

describe('row translator', () => {
  test('same engine is the identity, rows pass untouched', () => {
    const t = rowTranslator('postgres', 'postgres', 't', [pgc('boolean', 'boolean')], ['c']);
    assert.equal(t.identity, true);
    const row = [true];
    assert.equal(t(row), row);
    assert.equal(rowTranslator('mysql', 'mysql', 't', [my('int', 'int')], ['c']).identity, true);
  });

  test('an error names the table, the column and the key, and is not retryable', () => {
    const columns = [
      { source: col('id', 'varbinary(4)'), targetType: 'bytea' },
      { source: col('when', 'date'), targetType: 'date' },
    ];
    const t = rowTranslator('mysql', 'postgres', 'orders', columns, ['id']);
    assert.equal(t.identity, false);
    assert.deepEqual(t([Buffer.from('ab'), '2024-01-01']), [Buffer.from('ab'), '2024-01-01']);
    assert.throws(
      () => t([Buffer.from('ab'), '0000-00-00']),
      (err: Error) => {
        assert.ok(err instanceof ValueTranslationError);
        assert.ok(err instanceof EngineInputError);
        assert.match(
          err.message,
          /table "orders", column "when", key \[\{"\$binary":"YWI="\}\]: zero or partial date/,
        );
        return true;
      },
    );
    assert.throws(() => t([1]), /1 values for 2 columns/);
  });
});
