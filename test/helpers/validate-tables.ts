// Shared set-up for the validator tests: tables on both sides with the same rows, readers that
// record what they read (to prove a resumed run reads only the rest), and the canonical columns.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openRangeReader, type ClosableRangeReader } from '../../src/dataplane/validate/readers';
import type { RangeReader, TableRef } from '../../src/dataplane/validate/validator';
import type { EngineKind } from '../../src/engines/model';

/** Insert rows with parameters (mysql: ? placeholders, postgres: $n). */
export async function insertRows(
  kind: EngineKind,
  url: string,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  if (!rows.length) return;
  if (kind === 'mysql') {
    const c = await mysql.createConnection({ uri: url });
    try {
      await c.query(`SET time_zone = '+00:00'`);
      for (let i = 0; i < rows.length; i += 200) {
        const batch = rows.slice(i, i + 200);
        await c.query(
          `INSERT INTO \`${table}\` (${columns.map((n) => `\`${n}\``).join(', ')}) VALUES ${batch
            .map(() => `(${columns.map(() => '?').join(', ')})`)
            .join(', ')}`,
          batch.flat(),
        );
      }
    } finally {
      await c.end();
    }
    return;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET TIME ZONE 'UTC'`);
    for (let i = 0; i < rows.length; i += 200) {
      const batch = rows.slice(i, i + 200);
      let n = 0;
      await c.query(
        `INSERT INTO "${table}" (${columns.map((x) => `"${x}"`).join(', ')}) VALUES ${batch
          .map(() => `(${columns.map(() => `$${++n}`).join(', ')})`)
          .join(', ')}`,
        batch.flat(),
      );
    }
  } finally {
    await c.end();
  }
}

/** A reader that remembers every range it was asked for and how many rows it returned. */
export interface RecordingReader extends ClosableRangeReader {
  ranges: { lower: unknown[] | null; upper: unknown[] | null; rows: number }[];
  keyReads: number;
}

export function recordingReader(kind: EngineKind, url: string): RecordingReader {
  const inner = openRangeReader(kind, url);
  const r: RecordingReader = {
    ranges: [],
    keyReads: 0,
    async readRange(t: TableRef, columns, key, range, limit) {
      const rows = await inner.readRange(t, columns, key, range, limit);
      r.ranges.push({ lower: range.lower, upper: range.upper, rows: rows.length });
      return rows;
    },
    async readByKeys(t: TableRef, columns, key, keys) {
      r.keyReads += keys.length;
      return inner.readByKeys(t, columns, key, keys);
    },
    close: () => inner.close(),
  };
  return r;
}

export type { RangeReader };
