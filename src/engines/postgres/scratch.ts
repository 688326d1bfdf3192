// The planner's sample copy on a PostgreSQL target: load sample rows into a TEMPORARY table with
// COPY (the bulk path the copier uses), then upsert the same rows by key (the change applier's
// path), and time both. Temporary tables live in the session only, so nothing permanent is touched
// even if the process dies half-way.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import type { SampleBatch } from '../engine';
import { EngineInputError } from '../errors';
import { copyIn, toPgText } from './copy-text';
import { quoteIdent } from './quote';

/** PostgreSQL's limit on bind parameters per statement. */
const MAX_PARAMS = 65535;
const MAX_UPSERT_ROWS = 1000;

// Column types are spliced into DDL, so they must look like a type and nothing else: words,
// modifiers, array brackets, schema dots and double-quoted names; no quotes, semicolons or comments.
const TYPE_PATTERN = /^(?:[A-Za-z0-9_ .,()[\]]|"(?:[^"\0]|"")+")+$/;

export function checkTypeName(type: string): string {
  if (!TYPE_PATTERN.test(type) || type.includes('--') || !type.trim()) {
    throw new EngineInputError(`not a PostgreSQL type name: ${JSON.stringify(type)}`);
  }
  return type;
}

export async function scratchLoad(
  pool: Pool,
  columns: { name: string; type: string }[],
  key: string[],
  batch: SampleBatch,
): Promise<{ loadMs: number; upsertMs: number }> {
  if (!columns.length) throw new EngineInputError('scratch table needs at least one column');
  const names = columns.map((c) => c.name);
  for (const k of key)
    if (!names.includes(k))
      throw new EngineInputError(`key column ${quoteIdent(k)} is not one of the scratch columns`);
  // Rows follow batch.columns; reorder them to the scratch table's column order.
  const positions = names.map((n) => {
    const i = batch.columns.indexOf(n);
    if (i < 0) throw new EngineInputError(`scratch column ${quoteIdent(n)} is not in the sample batch`);
    return i;
  });
  const rows = batch.rows.map((r) => positions.map((i) => r[i]));

  const table = `pg_temp.${quoteIdent(`cutover_scratch_${randomBytes(6).toString('hex')}`)}`;
  const columnList = names.map(quoteIdent).join(', ');
  const ddl = columns.map((c) => `${quoteIdent(c.name)} ${checkTypeName(c.type)}`);
  if (key.length) ddl.push(`PRIMARY KEY (${key.map(quoteIdent).join(', ')})`);

  const client = await pool.connect();
  let created = false;
  let broken = false;
  try {
    await client.query(`CREATE TEMPORARY TABLE ${table} (${ddl.join(', ')})`);
    created = true;

    let started = performance.now();
    await copyIn(client, table, names, rows);
    const loadMs = performance.now() - started;

    const nonKey = names.filter((n) => !key.includes(n));
    // With every column in the key there is nothing else to set; rewriting a key column still
    // performs (and so times) the update path.
    const assignments = (nonKey.length ? nonKey : key.slice(0, 1)).map(
      (n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`,
    );
    const conflict = key.length
      ? ` ON CONFLICT (${key.map(quoteIdent).join(', ')}) DO UPDATE SET ${assignments.join(', ')}`
      : '';
    const perStatement = Math.max(1, Math.min(MAX_UPSERT_ROWS, Math.floor(MAX_PARAMS / names.length)));

    started = performance.now();
    for (let offset = 0; offset < rows.length; offset += perStatement) {
      const slice = rows.slice(offset, offset + perStatement);
      const values: (string | null)[] = [];
      const tuples = slice.map(
        (row) => `(${row.map((v) => (values.push(toPgText(v)), `$${values.length}`)).join(', ')})`,
      );
      await client.query(
        `INSERT INTO ${table} (${columnList}) VALUES ${tuples.join(', ')}${conflict}`,
        values,
      );
    }
    const upsertMs = performance.now() - started;
    return { loadMs, upsertMs };
  } finally {
    if (created) {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {
        broken = true;
      });
    }
    // A session that could not drop its scratch table is discarded (which drops the table with it).
    client.release(broken);
  }
}
