// PostgreSQL -> MySQL: every built-in type with a MySQL counterpart, the ones refused and why,
// domains, enums, generated and identity/serial columns.
import type { ColumnModel } from '../model';
import { Draft, refuse } from './draft';
import { PG_GEOMETRIC, pgDomainName } from './postgres-types';
import { mysqlLiteral } from './quoting';
import type { RefusedType } from './types';

const PG_REFUSED: Record<string, string> = {
  'time with time zone': 'MySQL has no time-with-offset type; convert to time or timestamptz on the source',
  money: 'money depends on lc_monetary and has no MySQL type; change it to numeric(p,2) on the source',
  tsvector:
    'full-text search vectors have no MySQL type; rebuild search with a FULLTEXT index on the text columns',
  tsquery: 'full-text queries have no MySQL type',
  hstore: 'hstore has no MySQL type; convert it to jsonb on the source (hstore_to_jsonb)',
  'bit varying':
    "the length of a bit string (B'101' vs B'0101') has no MySQL counterpart; use bit(n) on the source",
  '"char"': 'the internal one-byte "char" type has no MySQL counterpart; change it to char(1) on the source',
  oid: 'object identifiers are meaningless on MySQL',
  xid: 'transaction identifiers are meaningless on MySQL',
  cid: 'command identifiers are meaningless on MySQL',
  tid: 'tuple identifiers are meaningless on MySQL',
  pg_lsn: 'WAL positions are meaningless on MySQL',
  txid_snapshot: 'transaction snapshots are meaningless on MySQL',
  pg_snapshot: 'transaction snapshots are meaningless on MySQL',
};

const PG_TIME_INTERVAL =
  /^interval\s+(hour|minute|second|hour to minute|hour to second|minute to second)(\s*\(\s*\d+\s*\))?$/;

export function postgresToMysql(c: ColumnModel, d: Draft): RefusedType | null {
  const t = c.dataType;
  const native = c.nativeType.toLowerCase();
  const utf8 = 'character set utf8mb4 collate utf8mb4_bin';
  const dateChecks = (): void => {
    // Zero and partial dates ('0000-00-00', '2024-00-15') pass a range test in non-strict mode.
    d.check(`{col} >= '0001-01-01' AND MONTH({col}) <> 0 AND DAYOFMONTH({col}) <> 0`);
    d.probe({
      kind: 'timestamp-out-of-range',
      whenClean: {
        note: 'every value lies within 1970..2038: it would also fit MySQL TIMESTAMP',
      },
      whenOffending: {
        note: "some values lie outside 1970..2038: fine for DATETIME (1000..9999) unless they are 'infinity', BC dates or after 9999",
      },
    });
    d.note(
      "'infinity', '-infinity', BC dates and years after 9999 have no MySQL equivalent: such rows fail to copy",
    );
  };

  if (t === 'array') {
    return refuse(
      c,
      `arrays have no MySQL type; convert the column to jsonb on the source (to_jsonb) or exclude the table`,
    );
  }
  if (/range$/.test(t)) {
    return refuse(
      c,
      `range and multirange types have no MySQL type; split it into lower/upper columns on the source or exclude the table`,
    );
  }
  if (PG_GEOMETRIC.has(t)) {
    return refuse(
      c,
      `PostgreSQL geometric type ${t} has no MySQL mapping; convert it on the source or exclude the table`,
    );
  }
  const refusedWhy = PG_REFUSED[t];
  if (refusedWhy) return refuse(c, refusedWhy);

  const domain = pgDomainName(c);
  if (domain) {
    d.note(
      `declared with domain ${domain} over ${t}: mapped by its base type; the domain's constraints are not carried over`,
    );
    d.reverse(`MySQL accepts values that domain ${domain} rejects`);
    d.risk({
      code: 'DOMAIN_CONSTRAINTS_LOST',
      severity: 'medium',
      finding: `is declared with domain ${domain}: MySQL has no domains, so its NOT NULL/CHECK rules are not enforced on the target`,
      mitigation:
        "add the domain's CHECK as a table CHECK constraint on the target (MySQL 8.0.16+/MariaDB 10.2+ enforce them)",
    });
  }

  if (c.enumValues) {
    const labels = c.enumValues;
    d.type(`enum(${labels.map(mysqlLiteral).join(',')}) ${utf8}`);
    d.note(
      `enum type ${t} becomes an inline ENUM with the same labels in the same order (utf8mb4_bin: labels stay case-sensitive)`,
    );
    if (labels.some((l) => / $/.test(l))) {
      d.lossy('MySQL strips trailing spaces from ENUM labels: labels ending in a space change');
      d.risk({
        code: 'LOSSY_CONVERSION',
        severity: 'high',
        finding: `is enum type ${t} with labels ending in a space (${labels
          .filter((l) => / $/.test(l))
          .map((l) => JSON.stringify(l))
          .join(', ')}): MySQL strips trailing spaces from ENUM labels, so those values change or collide`,
        mitigation: 'rename the labels on the source (ALTER TYPE ... RENAME VALUE) before the migration',
      });
    }
  } else if (t === 'smallint' || t === 'integer' || t === 'bigint') {
    d.type(t === 'integer' ? 'int' : t);
  } else if (t === 'numeric') {
    const p = c.precision;
    const s = c.scale ?? 0;
    if (p === null) {
      d.type('decimal(65,30)').lossy(
        'unconstrained numeric becomes DECIMAL(65,30): more than 30 fractional digits are rounded and more than 35 integer digits are rejected',
      );
      d.risk({
        code: 'LOSSY_CONVERSION',
        severity: 'high',
        finding:
          'is numeric without precision: MySQL DECIMAL holds at most 65 digits, 30 after the point, so it becomes DECIMAL(65,30) and values beyond that are rounded or rejected',
        mitigation:
          'give the column a precision and scale on the source (ALTER ... TYPE numeric(p,s)) after checking the data fits',
      });
    } else {
      const digits = s < 0 ? p - s : Math.max(p, s);
      const scale = Math.max(s, 0);
      if (digits > 65 || scale > 30) {
        return refuse(
          c,
          `MySQL DECIMAL holds at most 65 digits with 30 after the point; narrow the column on the source`,
        );
      }
      d.type(`decimal(${digits},${scale})`);
    }
    d.note('NaN and ±Infinity have no MySQL equivalent: such rows fail to copy');
  } else if (t === 'real' || t === 'double precision') {
    d.type(t === 'real' ? 'float' : 'double');
    d.note(
      'NaN and ±Infinity have no MySQL equivalent: such rows fail to copy; validation compares floats by value',
    );
  } else if (t === 'boolean') {
    d.type('tinyint(1)').check('{col} IN (0, 1)');
    d.note('boolean becomes TINYINT(1) holding 0/1 (MySQL BOOLEAN), with a CHECK so that it stays 0/1');
  } else if (t === 'character varying' || t === 'character' || t === 'text' || t === 'name') {
    const n = t === 'name' ? 63 : c.length;
    if (t === 'character' && (n ?? 1) <= 255) {
      d.type(`char(${n ?? 1}) ${utf8}`);
    } else if (n !== null && n !== undefined && n <= 16383) {
      d.type(`varchar(${n}) ${utf8}`);
    } else if (n !== null && n !== undefined) {
      d.type(`mediumtext ${utf8}`).check(`char_length({col}) <= ${n}`);
      d.note(
        `${n} characters exceed what a utf8mb4 VARCHAR can hold in a row: MEDIUMTEXT with a CHECK on the length`,
      );
    } else {
      d.type(`longtext ${utf8}`);
    }
    d.check('LOCATE(CHAR(0 USING utf8mb4), {col}) = 0');
    d.note(
      "utf8mb4_bin compares case-sensitively like PostgreSQL, but it is a PAD SPACE collation: 'a' and 'a ' are equal on MySQL; ORDER BY follows code points, not the PostgreSQL locale",
    );
    if (c.collation)
      d.note(`PostgreSQL collation ${c.collation} has no MySQL equivalent: utf8mb4_bin is used`);
    d.probe({
      kind: 'trailing-space',
      whenClean: { note: 'no value ends in a space' },
      whenOffending: {
        note: "some values end in spaces: MySQL's PAD SPACE comparison treats them as equal to the trimmed value",
      },
    });
  } else if (t === 'bytea') {
    d.type('longblob');
  } else if (t === 'date') {
    d.type('date');
    dateChecks();
  } else if (t === 'timestamp without time zone' || t === 'timestamp with time zone') {
    const fsp = Math.min(c.scale ?? 6, 6);
    d.type(`datetime(${fsp})`);
    if (t === 'timestamp with time zone') {
      d.note('timestamptz becomes DATETIME holding UTC: the copy writes every instant in UTC');
      d.risk({
        code: 'TIMESTAMP_TIMEZONE',
        severity: 'medium',
        finding:
          'is timestamp with time zone: it becomes DATETIME holding UTC wall-clock time; MySQL does not convert it to the session zone, so readers see UTC',
        mitigation:
          'make the application read and write UTC (or convert in queries with CONVERT_TZ); MySQL TIMESTAMP would convert, but only holds 1970..2038 (see the probe)',
      });
    }
    dateChecks();
  } else if (t === 'time without time zone') {
    const fsp = Math.min(c.scale ?? 6, 6);
    d.type(`time(${fsp})`).check(`{col} BETWEEN '00:00:00' AND '24:00:00'`);
  } else if (t === 'interval') {
    if (!PG_TIME_INTERVAL.test(native)) {
      return refuse(
        c,
        'an interval with day, month or year parts has no MySQL type (TIME holds hours up to ±838:59:59 only); store seconds (extract(epoch ...)) on the source or exclude the table',
      );
    }
    const fsp = Math.min(c.scale ?? 6, 6);
    d.type(`time(${fsp})`).lossy(
      'MySQL TIME holds ±838:59:59: longer intervals (and any day or month parts, which PostgreSQL keeps even with HOUR TO SECOND) cannot be stored',
    );
    d.risk({
      code: 'LOSSY_CONVERSION',
      severity: 'medium',
      finding: `is ${c.nativeType}: it becomes TIME, which holds ±838:59:59 only; longer intervals or intervals with day/month parts fail to copy (or are clipped in non-strict mode)`,
      mitigation:
        'check SELECT max(abs(extract(epoch FROM col))) < 3020400 on the source, or store seconds as a number instead',
    });
  } else if (t === 'json' || t === 'jsonb') {
    d.type('json');
    d.lossy(
      'MySQL JSON keeps non-integer numbers as doubles (digits beyond 17 are rounded) and normalises key order and whitespace; MariaDB JSON keeps the text',
    );
    if (t === 'jsonb') d.reverse('MySQL JSON accepts \\u0000 escapes, which jsonb rejects when written back');
    d.risk({
      code: 'JSON_NORMALISED',
      severity: 'low',
      finding: `is ${t}: MySQL stores JSON in its own binary form, normalising key order and whitespace and rounding numbers to doubles`,
      mitigation:
        'none needed if numbers fit a double and the application parses JSON; otherwise keep such numbers as strings',
    });
  } else if (t === 'uuid') {
    d.type('char(36) character set ascii collate ascii_general_ci').check(
      "{col} REGEXP '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'",
    );
    d.note(
      'uuid becomes CHAR(36) text in canonical form (MariaDB 10.7+ has a native UUID type, by override)',
    );
  } else if (t === 'bit') {
    const n = c.length ?? 1;
    if (n > 64) return refuse(c, `MySQL BIT holds at most 64 bits`);
    d.type(`bit(${n})`);
  } else if (t === 'inet' || t === 'cidr') {
    d.type('varchar(43) character set ascii collate ascii_bin').note(`${t} becomes its text form`);
    d.reverse(`MySQL accepts any text in VARCHAR(43), which ${t} rejects unless it is an address`);
  } else if (t === 'macaddr' || t === 'macaddr8') {
    d.type(`varchar(${t === 'macaddr' ? 17 : 23}) character set ascii collate ascii_bin`).note(
      `${t} becomes its text form`,
    );
    d.reverse(`MySQL accepts any text, which ${t} rejects unless it is a MAC address`);
  } else if (t === 'xml') {
    d.type(`longtext ${utf8}`).note('xml becomes its text');
    d.reverse('MySQL accepts text that is not well-formed XML, which xml rejects when written back');
  } else {
    return refuse(
      c,
      `${t} (a composite, extension or other PostgreSQL-only type) has no MySQL mapping; convert it on the source or exclude the table`,
    );
  }

  if (c.generated) {
    d.generated = { expression: c.generated.expression, stored: true, translate: true };
    d.note(
      `generated column: created as GENERATED ALWAYS AS (${c.generated.expression}) STORED after translating the expression to MySQL; its values are never copied`,
    );
    d.risk({
      code: 'GENERATED_COLUMN',
      severity: 'medium',
      finding: `is a generated column (${c.generated.expression}): the expression is PostgreSQL SQL and must be translated to MySQL`,
      mitigation:
        'translate the expression (operators, casts and functions differ) and review it before the copy',
    });
  }
  if (c.autoIncrement) {
    d.autoIncrement = 'auto_increment';
    d.note(
      `${c.identity ? `identity (${c.identity})` : 'serial'} becomes AUTO_INCREMENT, set past MAX(column) after the copy${c.identity === 'always' ? '; MySQL cannot forbid explicit values as GENERATED ALWAYS does' : ''}`,
    );
  }
  return null;
}
