// What a table is, beyond its rows, on MySQL/MariaDB: its InnoDB table id. TRUNCATE fires no
// trigger, so the capture never sees it; it recreates the table, as do ALTER TABLE and OPTIMIZE
// TABLE, and the table id changes with each of them.
//
// InnoDB names tables "<schema>/<table>" in the filename encoding: letters, digits and '_' as they
// are, other ASCII characters as @ and four hex digits. Names with other characters use tables of
// their own in that encoding: for them, and for tables not in InnoDB, the identity is unknown (null).
import { type Conn, queryRows, serverInfo } from './session';

function filename(name: string): string | null {
  let out = '';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (/[A-Za-z0-9_]/.test(ch)) out += ch;
    else if (code < 0x80) out += `@${code.toString(16).padStart(4, '0')}`;
    else return null;
  }
  return out;
}

export async function tableIdentities(
  conn: Conn,
  schema: string,
  tables: string[],
): Promise<Record<string, string | null>> {
  const names = new Map<string, string>();
  for (const t of tables) {
    const s = filename(schema);
    const n = filename(t);
    if (s !== null && n !== null) names.set(`${s}/${n}`, t);
  }
  const result: Record<string, string | null> = Object.fromEntries(tables.map((t) => [t, null]));
  if (!names.size) return result;
  const view = (await serverInfo(conn)).mariadb ? 'INNODB_SYS_TABLES' : 'INNODB_TABLES';
  const rows = await queryRows<{ name: string; id: string }>(
    conn,
    `SELECT NAME AS name, CAST(TABLE_ID AS CHAR) AS id FROM information_schema.${view} WHERE NAME IN (?)`,
    [[...names.keys()]],
  );
  for (const r of rows) {
    // InnoDB compares names case-insensitively where lower_case_table_names says so: match exactly.
    const t = names.get(r.name);
    if (t !== undefined) result[t] = r.id;
  }
  return result;
}
