// Column defaults carried to the target: copied within an engine, literals and the current time
// translated across engines, anything else dropped with a note.
import type { ColumnModel, EngineKind } from '../../engines/model';
import type { Dialect } from './names';

// ---------------------------------------------------------------------------------------------
// Defaults

const NOW = /^(current_timestamp|now|localtimestamp)\s*(\(\s*\d?\s*\))?$/i;

/** The string value of a literal default of either engine, or null when it is not a plain literal. */
function literalValue(expr: string, from: EngineKind): string | null {
  const e = expr.trim();
  if (from === 'postgres') {
    // 'text'::type, with '' for a quote; E'' strings and other expressions are not literals here.
    const ident = String.raw`(?:"(?:[^"]|"")+"|[a-z_][\w$]*)`;
    const cast = String.raw`(?:::(?:${ident}\.)?(?:${ident}(?: [a-z]+)*)(?:\(\d+(?:,\d+)?\))?(?:\[\])?)?`;
    const m = new RegExp(String.raw`^'((?:[^']|'')*)'${cast}$`, 'is').exec(e);
    return m ? m[1]!.replaceAll("''", "'") : null;
  }
  const m = /^'((?:[^'\\]|''|\\[\s\S])*)'$/.exec(e);
  if (!m) return null;
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' };
  return m[1]!.replace(/''|\\([\s\S])/g, (all, ch: string | undefined) =>
    all === "''" ? "'" : (escapes[ch!] ?? ch!),
  );
}

export function translateDefault(
  from: EngineKind,
  d: Dialect,
  column: ColumnModel,
  targetType: string,
): { sql: string | null; note?: string } {
  const expr = column.default;
  if (expr === null || /^null$/i.test(expr.trim())) return { sql: null };
  const e = expr.trim();
  if (from === d.kind) {
    // Same dialect: copied as it is (MySQL wants expressions in parentheses).
    if (
      d.kind === 'mysql' &&
      !/^('.*'|-?[\d.]+(e[-+]?\d+)?|b'[01]*'|x'[0-9a-f]*'|current_timestamp(\(\d?\))?)$/is.test(e)
    )
      return { sql: `(${e})` };
    return { sql: e };
  }
  const type = targetType.toLowerCase();
  const dropped = (why: string) => ({
    sql: null,
    note: `default ${e} of ${column.name} dropped: ${why}; set it on the target by hand if the application relies on it`,
  });
  if (NOW.test(e)) {
    if (d.kind === 'postgres') {
      if (/^(timestamp|date)/.test(type)) return { sql: 'CURRENT_TIMESTAMP' };
      return dropped(`the current time as a default of ${targetType}`);
    }
    const fsp = /^(datetime|timestamp)\((\d)\)/.exec(type)?.[2];
    if (/^(datetime|timestamp)/.test(type)) return { sql: `CURRENT_TIMESTAMP${fsp ? `(${fsp})` : ''}` };
    return dropped(`the current time as a default of ${targetType}`);
  }
  let value: string | null = literalValue(e, from);
  if (value === null && /^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(e)) value = e;
  if (value === null && /^\(?-\d+(\.\d+)?\)?$/.test(e)) value = e.replace(/[()]/g, '');
  if (value === null && /^(true|false)$/i.test(e)) value = e.toLowerCase();
  if (value === null)
    return dropped(`it is an expression in ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} SQL`);
  if (/^0000-00-00/.test(value)) return dropped('a zero date, which the target rejects');
  if (d.kind === 'postgres') {
    if (type === 'boolean') {
      if (value === '1' || value === '0') return { sql: value === '1' ? 'true' : 'false' };
      return dropped('not 0 or 1');
    }
    if (type === 'text[]') {
      const members = value === '' ? [] : value.split(',');
      return { sql: members.length ? `ARRAY[${members.map(d.lit).join(', ')}]::text[]` : `'{}'::text[]` };
    }
    if (type === 'bytea') return dropped('binary defaults are not translated');
    return {
      sql:
        /^[-+]?\d/.test(value) && /^(smallint|integer|bigint|numeric|real|double)/.test(type)
          ? value
          : d.lit(value),
    };
  }
  if (/^tinyint\(1\)/.test(type) && /^(true|false|t|f)$/i.test(value))
    return { sql: /^t/i.test(value) ? '1' : '0' };
  if (/blob|binary/.test(type)) return dropped('binary defaults are not translated');
  if (
    /^(tinyint|smallint|mediumint|int|bigint|decimal|float|double)\b/.test(type) &&
    /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(value)
  )
    return { sql: value };
  if (/^(text|mediumtext|longtext|tinytext|json|blob|longblob)\b/.test(type))
    return { sql: `(${d.lit(value)})` };
  return { sql: d.lit(value) };
}
