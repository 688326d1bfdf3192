// MySQL -> PostgreSQL for character types (CHAR, VARCHAR, the TEXT family) and ENUM: lengths and
// byte limits, character sets, collations, NUL bytes and trailing spaces.
import type { ColumnModel } from '../model';
import { isCaseInsensitiveCollation, isPadSpaceCollation } from './collations';
import type { Draft } from './draft';
import { PG_MAX_IDENTIFIER_BYTES, truncateIdentifier } from './identifiers';
import { TEXT_LIMITS } from './mysql-types';
import { pgIdent, pgLiteral } from './quoting';
import type { MappingContext } from './types';

const UNICODE_CHARSETS = new Set(['utf8mb4', 'utf16', 'utf16le', 'utf32', 'gb18030']);
const BMP_CHARSETS = new Set(['utf8mb3', 'utf8', 'ucs2']);
const SINGLE_BYTE_CHARSETS = new Set([
  'latin1',
  'latin2',
  'latin5',
  'latin7',
  'ascii',
  'cp1250',
  'cp1251',
  'cp1256',
  'cp1257',
  'cp850',
  'cp852',
  'cp866',
  'dec8',
  'greek',
  'hebrew',
  'hp8',
  'keybcs2',
  'koi8r',
  'koi8u',
  'macce',
  'macroman',
  'swe7',
  'armscii8',
  'geostd8',
  'tis620',
]);

export function mysqlTextToPostgres(c: ColumnModel, t: string, args: number[], d: Draft): void {
  const charset = (c.charset ?? 'utf8mb4').toLowerCase();
  if (t === 'char') {
    const n = c.length ?? args[0] ?? 1;
    d.type(`character(${n})`);
    d.note(
      `CHAR(${n}): PostgreSQL returns character(n) values padded with spaces to ${n} characters, MySQL strips trailing spaces on read`,
    );
  } else if (t === 'varchar') {
    const n = c.length ?? args[0];
    d.type(n === undefined ? 'text' : `character varying(${n})`);
  } else {
    d.type('text');
    const limit = TEXT_LIMITS[t];
    if (limit) {
      // MySQL counts the limit in bytes of the column's charset: only UTF-8 (utf8mb4, utf8mb3) and
      // single-byte charsets can be expressed exactly on PostgreSQL's UTF-8 text.
      if (charset === 'utf8mb4' || charset === 'utf8mb3' || charset === 'utf8')
        d.check(`octet_length({col}) <= ${limit}`);
      else if (SINGLE_BYTE_CHARSETS.has(charset)) d.check(`char_length({col}) <= ${limit}`);
      else
        d.reverse(
          `${t.toUpperCase()} holds at most ${limit} bytes in ${charset}: longer text cannot be written back`,
        );
      if (d.checks.length) d.note(`${t.toUpperCase()} holds at most ${limit} bytes: the CHECK keeps it so`);
    } else {
      d.note('LONGTEXT values over 1 GB cannot be stored in a PostgreSQL text value');
    }
  }

  if (isCaseInsensitiveCollation(c.collation)) {
    d.note(
      `collation ${c.collation} compares case- (and accent-) insensitively on MySQL; PostgreSQL compares exactly, so equality, uniqueness, GROUP BY and ORDER BY change`,
    );
  }
  d.probe({
    kind: 'nul-byte',
    whenClean: { note: 'no NUL bytes found' },
    whenOffending: {
      note: 'some values contain NUL bytes, which PostgreSQL text rejects',
      lossy: 'NUL bytes must be stripped (or the rows fail to copy)',
    },
  });
  if (t !== 'char' && isPadSpaceCollation(c.collation)) {
    d.note(
      `PAD SPACE collation ${c.collation ?? '(default)'}: MySQL compares 'a' and 'a ' as equal, PostgreSQL does not`,
    );
    d.probe({
      kind: 'trailing-space',
      whenClean: { note: 'no value ends in a space' },
      whenOffending: { note: 'some values end in spaces: comparisons with them change on PostgreSQL' },
    });
  }

  if (
    charset === 'latin1' ||
    charset === 'ascii' ||
    (!UNICODE_CHARSETS.has(charset) && !BMP_CHARSETS.has(charset))
  ) {
    d.reverse(
      `character set ${charset}: characters outside it written on PostgreSQL cannot be written back (MySQL rejects them or stores '?')`,
    );
    d.risk({
      code: 'CHARSET_NOT_UTF8',
      severity: charset === 'latin1' ? 'medium' : 'low',
      finding: `uses character set ${charset}${charset === 'latin1' ? ' (MySQL latin1 is really cp1252)' : ''}: values are converted to UTF-8 on the way; text that was stored as UTF-8 bytes through a ${charset} connection (a mislabeled charset) arrives as mojibake such as 'Ã©'`,
      mitigation: `look at a sample: SELECT col FROM t WHERE CONVERT(CAST(CONVERT(col USING ${charset}) AS BINARY) USING utf8mb4) <> col; if it holds UTF-8 bytes, convert the column on the source first (MODIFY to VARBINARY, then to utf8mb4)`,
    });
  } else if (BMP_CHARSETS.has(charset)) {
    d.reverse(
      `character set ${charset} holds only 3-byte characters: 4-byte ones such as emoji written on PostgreSQL cannot be written back`,
    );
    d.risk({
      code: 'CHARSET_NOT_UTF8',
      severity: 'low',
      finding: `uses character set ${charset}, which cannot hold 4-byte characters (emoji): they can be written on PostgreSQL but not back`,
      mitigation:
        'convert the column to utf8mb4 on the source before the migration, or accept that rollback fails for such rows',
    });
  }
}

export function mysqlEnumToPostgres(c: ColumnModel, ctx: MappingContext, d: Draft): void {
  const labels = c.enumValues ?? [];
  if (labels.some((l) => Buffer.byteLength(l, 'utf8') > PG_MAX_IDENTIFIER_BYTES)) {
    d.type('text').check(`{col} IN (${labels.map(pgLiteral).join(', ')})`);
    d.note(
      'ENUM members longer than 63 bytes cannot be PostgreSQL enum labels: text with a CHECK on the members',
    );
  } else {
    const name = truncateIdentifier(ctx.table ? `${ctx.table}_${c.name}` : c.name);
    d.enumType = { name, labels };
    d.type(ctx.targetSchema ? `${pgIdent(ctx.targetSchema)}.${pgIdent(name)}` : pgIdent(name));
    d.note(
      `ENUM becomes the PostgreSQL enum type ${name} with the same labels in the same order (same sort order); created before the table`,
    );
  }
  if (isCaseInsensitiveCollation(c.collation)) {
    d.note(`MySQL matches ENUM input case-insensitively (${c.collation}); PostgreSQL enum labels are exact`);
  }
  if (labels.includes('')) {
    // '' is a declared member: the error value (index 0) reads the same and cannot be told apart.
    d.note(
      "'' is a declared member of this ENUM: it is kept as a label, and MySQL's '' error value (index 0) becomes it too",
    );
    return;
  }
  d.probe({
    kind: 'empty-enum',
    whenClean: { note: "no '' error values found" },
    whenOffending: {
      note: "some rows hold '', the value MySQL stores for invalid ENUM input in non-strict mode",
      lossy: "'' is not an enum label: those rows need a replacement value",
    },
  });
}
