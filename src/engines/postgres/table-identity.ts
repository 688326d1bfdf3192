// What a table is, beyond its rows, on PostgreSQL: a digest of its columns (name, type, position,
// dropped). Row triggers capture every INSERT, UPDATE, DELETE and TRUNCATE, but not a rewrite by
// ALTER TABLE ... TYPE ... USING, nor added or dropped columns: those change the digest. VACUUM
// FULL, CLUSTER and TRUNCATE do not (they leave the values as they were or are captured).
import type { Pool } from 'pg';

export async function tableIdentities(
  pool: Pool,
  schema: string,
  tables: string[],
): Promise<Record<string, string | null>> {
  const { rows } = await pool.query<{ t: string; id: string }>(
    `SELECT c.relname::text AS t,
            md5(string_agg(a.attnum || ':' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
                           || ':' || a.attisdropped, ',' ORDER BY a.attnum)) AS id
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
      GROUP BY c.relname`,
    [schema, tables],
  );
  const found = new Map(rows.map((r) => [r.t, r.id]));
  return Object.fromEntries(tables.map((t) => [t, found.get(t) ?? null]));
}
