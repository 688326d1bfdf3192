// MySQL -> PostgreSQL: numbers, bits, temporal, binary, JSON, spatial and MariaDB types, plus
// generated and auto-increment columns. Character types and ENUM are in mysql-text-to-postgres.ts.
import type { ColumnModel } from '../model';
import { isCaseInsensitiveCollation } from './collations';
import { Draft, refuse, typeArgs } from './draft';
import { mysqlEnumToPostgres, mysqlTextToPostgres } from './mysql-text-to-postgres';
import { BLOB_LIMITS, mysqlType, SPATIAL, TEXT_LIMITS } from './mysql-types';
import { pgLiteral } from './quoting';
import type { MappingContext, RefusedType } from './types';

interface IntRange {
  min: string;
  max: string;
  umax: string;
  signed: string;
  unsigned: string;
}

const MYSQL_INTS: Record<string, IntRange> = {
  tinyint: { min: '-128', max: '127', umax: '255', signed: 'smallint', unsigned: 'smallint' },
  smallint: { min: '-32768', max: '32767', umax: '65535', signed: 'smallint', unsigned: 'integer' },
  mediumint: { min: '-8388608', max: '8388607', umax: '16777215', signed: 'integer', unsigned: 'integer' },
  int: { min: '-2147483648', max: '2147483647', umax: '4294967295', signed: 'integer', unsigned: 'bigint' },
  bigint: {
    min: '-9223372036854775808',
    max: '9223372036854775807',
    umax: '18446744073709551615',
    signed: 'bigint',
    unsigned: 'numeric(20,0)',
  },
};
/** The range the PostgreSQL integer types hold, to tell when a CHECK is needed. */
const PG_INT_RANGE: Record<string, [string, string]> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};

export function mysqlToPostgres(c: ColumnModel, ctx: MappingContext, d: Draft): RefusedType | null {
  const t = mysqlType(c);
  const native = c.nativeType.toLowerCase();
  const args = typeArgs(native);
  const unsigned = c.unsigned || /\bunsigned\b/.test(native);

  if (/\bzerofill\b/.test(native))
    d.note('ZEROFILL only pads the display on MySQL: values are copied as numbers');

  if (c.isJson) {
    jsonToJsonb(c, t, d);
  } else if (t in MYSQL_INTS) {
    mysqlIntToPostgres(c, t, native, unsigned, d);
  } else if (t === 'bit') {
    const n = c.precision ?? args[0] ?? 1;
    if (n === 1) {
      d.type('boolean').note('BIT(1) can only hold 0 and 1: boolean');
    } else {
      d.type(`bit varying(${n})`).note(
        `BIT(${n}) is copied as an ${n}-bit string padded on the left; PostgreSQL compares bit strings by bits and length (B'101' <> B'00000101'), MySQL by numeric value`,
      );
    }
  } else if (t === 'float' || t === 'double') {
    d.type(t === 'float' ? 'real' : 'double precision').check(
      `{col} NOT IN ('NaN', 'Infinity', '-Infinity')`,
    );
    d.note(
      `${t.toUpperCase()} is IEEE ${t === 'float' ? 'single' : 'double'} precision on both sides; validation compares floats by value (canonical form), not as printed`,
    );
    if (args.length === 2) {
      d.note(
        `${t.toUpperCase()}(${args[0]},${args[1]}) rounds to ${args[1]} decimals on MySQL; PostgreSQL does not round, so values written there may differ when written back`,
      );
    }
    if (unsigned) d.check('{col} >= 0');
  } else if (t === 'decimal') {
    const p = c.precision ?? args[0] ?? 10;
    const s = c.scale ?? args[1] ?? 0;
    d.type(`numeric(${p},${s})`).check(`{col} <> 'NaN'`);
    if (unsigned) d.check('{col} >= 0');
  } else if (t === 'char' || t === 'varchar' || t in TEXT_LIMITS) {
    mysqlTextToPostgres(c, t, args, d);
  } else if (t === 'enum') {
    mysqlEnumToPostgres(c, ctx, d);
  } else if (t === 'set') {
    const members = c.enumValues ?? [];
    d.type('text[]').check(`{col} <@ ARRAY[${members.map(pgLiteral).join(', ')}]::text[]`);
    d.note(
      "SET values become arrays of their members ('' becomes '{}'); MySQL stores a SET in declaration order without duplicates, so arrays written on PostgreSQL in another order or with duplicates come back normalised",
    );
    if (isCaseInsensitiveCollation(c.collation)) {
      d.note(`members match case-insensitively on MySQL (${c.collation}), exactly on PostgreSQL`);
    }
  } else if (t === 'date' || t === 'datetime' || t === 'timestamp') {
    mysqlTemporalToPostgres(c, t, args, d);
  } else if (t === 'time') {
    const fsp = c.scale ?? args[0] ?? 0;
    d.type(fsp >= 6 ? 'interval' : `interval(${fsp})`);
    d.note('TIME is a duration on MySQL (-838:59:59..838:59:59): interval holds every value');
    d.reverse(
      'MySQL TIME only holds -838:59:59..838:59:59: longer intervals (and month parts) written on PostgreSQL cannot be written back',
    );
    d.probe({
      kind: 'time-out-of-day',
      whenClean: {
        note: 'every value lies within 00:00:00..23:59:59: if the column means a time of day, an override to time(n) suits the application better',
      },
      whenOffending: { note: 'some values lie outside a day: the column is a duration, interval is right' },
    });
  } else if (t === 'year') {
    d.type('smallint').check('({col} BETWEEN 1901 AND 2155 OR {col} = 0)');
    d.note('YEAR becomes a smallint holding the year (0 for the zero year)');
  } else if (t === 'binary' || t === 'varbinary' || t in BLOB_LIMITS) {
    mysqlBinaryToPostgres(c, t, args, d);
  } else if (SPATIAL.has(t)) {
    d.type('bytea')
      .lossy(
        `${t.toUpperCase()} arrives as WKB bytes in a bytea, not as a PostGIS geometry: the SRID, spatial functions and the SPATIAL index are lost`,
      )
      .reverse('bytea accepts any bytes, which are not necessarily valid geometry');
    d.risk({
      code: 'SPATIAL_TYPE',
      severity: 'high',
      finding: `is ${c.nativeType}: PostgreSQL needs PostGIS for geometry, so it is not mapped automatically and would arrive as WKB bytes in a bytea`,
      mitigation:
        'install PostGIS on the target and override the column to geometry (ST_GeomFromWKB on load), then recreate the SPATIAL index as a GiST index; or exclude the table',
    });
  } else if (t === 'uuid') {
    d.type('uuid').note("MariaDB's UUID type becomes PostgreSQL uuid");
  } else if (t === 'inet6' || t === 'inet4') {
    d.type('inet').note(`MariaDB's ${t.toUpperCase()} becomes inet`);
    d.check(
      t === 'inet4'
        ? 'family({col}) = 4 AND masklen({col}) = 32'
        : 'masklen({col}) = CASE family({col}) WHEN 4 THEN 32 ELSE 128 END',
    );
    if (t === 'inet6') d.note('IPv4 addresses read from INET6 arrive in IPv4-mapped form (::ffff:a.b.c.d)');
  } else {
    return refuse(
      c,
      `MySQL type ${t || c.nativeType} has no PostgreSQL mapping in cutover; change the column type on the source or exclude the table`,
    );
  }

  if (c.generated) {
    d.generated = { expression: c.generated.expression, stored: true, translate: true };
    d.note(
      `generated column: created as GENERATED ALWAYS AS (${c.generated.expression}) STORED after translating the expression to PostgreSQL; its values are never copied`,
    );
    if (!c.generated.stored)
      d.note('VIRTUAL on MySQL: PostgreSQL stores it (takes space, computed on write)');
    d.risk({
      code: 'GENERATED_COLUMN',
      severity: 'medium',
      finding: `is a ${c.generated.stored ? 'STORED' : 'VIRTUAL'} generated column (${c.generated.expression}): the expression is MySQL SQL and must be translated; PostgreSQL recomputes it${c.generated.stored ? '' : ' and stores it'}`,
      mitigation:
        'translate the expression to PostgreSQL (functions and operators differ: CONCAT, IF, JSON paths) and review it before the copy; only immutable functions are allowed',
    });
  }
  if (c.autoIncrement) {
    if (/^(smallint|integer|bigint)$/.test(d.targetType)) {
      d.autoIncrement = 'identity';
      d.note(
        'AUTO_INCREMENT becomes GENERATED BY DEFAULT AS IDENTITY; after the copy its sequence is set past MAX(column)',
      );
    } else {
      d.autoIncrement = 'sequence';
      d.note(
        `AUTO_INCREMENT on ${d.targetType}: identity needs an integer type, so the column gets DEFAULT nextval() of an owned sequence (which stops at 9223372036854775807), set past MAX(column) after the copy`,
      );
    }
  }
  if (c.default !== null && /^'?0000-00-00/.test(c.default)) {
    d.risk({
      code: 'ZERO_DATE_DEFAULT',
      severity: 'high',
      finding: `has DEFAULT ${c.default}, a zero date PostgreSQL rejects: the table cannot be created with it`,
      mitigation: `drop the default${c.nullable ? ' (or use NULL)' : ''} or choose a real date, on the source first if the application relies on it`,
    });
  }
  return null;
}

function mysqlIntToPostgres(c: ColumnModel, t: string, native: string, unsigned: boolean, d: Draft): void {
  const r = MYSQL_INTS[t]!;
  const target = unsigned ? r.unsigned : r.signed;
  const [min, max] = unsigned ? ['0', r.umax] : [r.min, r.max];
  const rangeChecks = (type: string): string[] => {
    const held = PG_INT_RANGE[type];
    if (unsigned) return held && held[1] === max ? ['{col} >= 0'] : ['{col} >= 0', `{col} <= ${max}`];
    return held && held[0] === min && held[1] === max ? [] : [`{col} BETWEEN ${min} AND ${max}`];
  };
  const sourceName = `${t.toUpperCase()}${unsigned ? ' UNSIGNED' : ''}`;

  if (t === 'tinyint' && /^tinyint\s*\(\s*1\s*\)/.test(native) && !c.autoIncrement) {
    d.type('smallint').check(...rangeChecks('smallint'));
    d.note(
      "TINYINT(1) is MySQL's BOOLEAN: it becomes boolean only when every value is 0 or 1 (a blind cast turns 2 into true); otherwise smallint",
    );
    d.probe({
      kind: 'non-boolean',
      whenClean: {
        targetType: 'boolean',
        checks: [],
        note: 'every value is 0 or 1: boolean (written back as 1/0)',
      },
      whenOffending: { note: 'values other than 0 and 1 exist: stays smallint' },
    });
    return;
  }
  d.type(target).check(...rangeChecks(target));
  if (unsigned && t === 'bigint') {
    d.note(
      'BIGINT UNSIGNED holds up to 18446744073709551615, beyond bigint: numeric(20,0) with CHECK 0..18446744073709551615',
    );
    d.risk({
      code: 'BIGINT_UNSIGNED_NUMERIC',
      severity: 'medium',
      finding:
        'is BIGINT UNSIGNED (up to 18446744073709551615, beyond PostgreSQL bigint): it becomes numeric(20,0), which is slower, cannot be an identity column, arrives as a string in most drivers, and every foreign key pointing at it must become numeric(20,0) too',
      mitigation:
        'if the values stay below 9223372036854775807 (check SELECT MAX(column)), override the column and every FK column referencing it to bigint with CHECK (column >= 0)',
    });
  } else if (unsigned && target !== r.signed) {
    d.note(`${sourceName} becomes ${target} (PostgreSQL has no unsigned types) with CHECK ${min}..${max}`);
    d.risk({
      code: 'UNSIGNED_WIDENED',
      severity: 'low',
      finding: `is ${sourceName} (${min}..${max}): it becomes ${target} with CHECK constraints for that range, since PostgreSQL has no unsigned types`,
      mitigation:
        'nothing to do for the copy; foreign-key columns referencing it must be widened the same way (see FK_TYPE_MISMATCH); drop the upper-bound CHECK after the rollback window to use the wider range',
    });
  } else if (d.checks.length) {
    d.note(`${sourceName} becomes ${target} with CHECK ${min}..${max}, so every value can be written back`);
  }
}

function mysqlTemporalToPostgres(c: ColumnModel, t: string, args: number[], d: Draft): void {
  const fsp = c.scale ?? args[0] ?? 0;
  if (t === 'date') {
    d.type('date').check(`{col} BETWEEN '0001-01-01' AND '9999-12-31'`);
  } else if (t === 'datetime') {
    d.type(`timestamp(${fsp}) without time zone`).check(
      `{col} BETWEEN '0001-01-01 00:00:00' AND '9999-12-31 23:59:59.999999'`,
    );
  } else {
    d.type(`timestamp(${fsp}) with time zone`);
    d.note(
      "TIMESTAMP is stored in UTC and converted through the session time zone: the copy reads it with time_zone = '+00:00'",
    );
    d.reverse(
      'MySQL TIMESTAMP only holds 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC: values outside it written on PostgreSQL cannot go back',
    );
    d.risk({
      code: 'TIMESTAMP_TIMEZONE',
      severity: 'medium',
      finding:
        'is a MySQL TIMESTAMP, read through the session time zone: it becomes timestamp with time zone, so readers that relied on the MySQL session zone see the same instant printed in their PostgreSQL TimeZone setting',
      mitigation:
        "set the application's PostgreSQL TimeZone to the zone it used on MySQL (or compare instants, not printed values); the copy reads in UTC so no value shifts",
    });
  }
  d.probe({
    kind: 'zero-date',
    whenClean: { note: 'no zero or partial dates found' },
    whenOffending: {
      note: "some rows hold zero or partial dates ('0000-00-00', '2024-00-15'), which PostgreSQL rejects",
      lossy: 'zero and partial dates must be replaced (NULL or a sentinel) or the rows fail to copy',
    },
  });
}

function mysqlBinaryToPostgres(c: ColumnModel, t: string, args: number[], d: Draft): void {
  d.type('bytea');
  if (t === 'binary') {
    const n = c.length ?? args[0] ?? 1;
    d.check(`octet_length({col}) = ${n}`);
    d.note(`BINARY(${n}) values are padded with 0x00 to ${n} bytes on MySQL and copied padded`);
    if (n === 16) {
      d.note('BINARY(16) often holds a UUID: the uuid type is used only through a per-column override');
    }
  } else if (t === 'varbinary') {
    const n = c.length ?? args[0];
    if (n !== undefined) d.check(`octet_length({col}) <= ${n}`);
  } else {
    const limit = BLOB_LIMITS[t];
    if (limit) d.check(`octet_length({col}) <= ${limit}`);
    else d.note('LONGBLOB values over 1 GB cannot be stored in a PostgreSQL bytea');
  }
}

function jsonToJsonb(c: ColumnModel, t: string, d: Draft): void {
  d.type('jsonb');
  const mariaAlias = t !== 'json';
  if (mariaAlias) d.note("MariaDB's JSON is LONGTEXT with CHECK (json_valid(...)): it becomes jsonb");
  d.lossy(
    'jsonb normalises JSON: key order, duplicate keys (the last one wins) and whitespace are not kept; compare JSON values, not text',
  );
  if (!mariaAlias) {
    d.reverse(
      'MySQL JSON keeps non-integer numbers as doubles: numbers with more precision written on PostgreSQL are rounded when written back',
    );
  }
  d.risk({
    code: 'JSON_NORMALISED',
    severity: 'low',
    finding: `holds JSON (${c.nativeType}) that becomes jsonb: key order, duplicate keys and whitespace are normalised, so the text read back may differ from the text stored`,
    mitigation:
      'none needed if the application parses JSON; if it depends on the exact text, override the column to json (text-preserving) or text',
  });
  d.probe({
    kind: 'json-nul',
    whenClean: { note: 'no \\u0000 escapes found' },
    whenOffending: {
      note: 'some documents contain \\u0000, which jsonb rejects',
      lossy: '\\u0000 escapes must be removed (or the rows fail to copy)',
    },
  });
}
