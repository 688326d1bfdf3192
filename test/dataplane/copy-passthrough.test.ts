// PostgreSQL -> PostgreSQL passthrough on real databases: chunks cut by key, the source's COPY TO
// streamed into the target's COPY FROM without decoding a row. Hostile values (NULL vs '' vs '\N',
// backslashes, tabs, newlines, bytea with every special byte, arrays, json/jsonb, numeric and float
// extremes, -0, NaN, infinities, BC and infinite dates, time zones, money), hostile identifiers and a
// composite (integer, text) key whose text holds quotes and backslashes (the bounds are SQL literals
// in COPY). The target is compared with the source by an independent query on each server:
// md5(string_agg(row::text ...)) in key order.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  choosePassthrough,
  copyTable,
  type CopyCheckpoint,
  type CopyTableOptions,
} from '../../src/dataplane/copy/copier';
import { openRowsEngine, postgresRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { EngineInputError } from '../../src/engines/errors';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { createPostgresDatabase, execPostgres, type TestDatabase } from '../helpers/databases';

const ROWS = 6000;
const SCHEMA = `sch "ë" 'q' \\`;
const TABLE = `t\tab; DROP TABLE x; --`;
const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const T = `${q(SCHEMA)}.${q(TABLE)}`;
const KEY = ['g', 'na"me'];
const COLUMNS = [
  'g',
  'na"me',
  't',
  'v',
  'c',
  'b',
  'a',
  'ia',
  'j',
  'jb',
  'n',
  'n2',
  'f8',
  'f4',
  'i2',
  'i4',
  'ts',
  'tn',
  'd',
  'tm',
  'iv',
  'u',
  'bo',
  'm',
];
const ddl = (i4Type: string) => `CREATE TABLE ${T} (g integer, "na""me" text COLLATE "C", t text,
  v varchar(20), c char(5), b bytea, a text[], ia integer[], j json, jb jsonb, n numeric,
  n2 numeric(12,2), f8 double precision, f4 real, i2 smallint, i4 ${i4Type}, ts timestamptz,
  tn timestamp(3), d date, tm time, iv interval, u uuid, bo boolean, m money,
  PRIMARY KEY (g, "na""me"))`;

const fill = (from: number, to: number) => `INSERT INTO ${T}
  SELECT s % 50,
    'n' || (s / 50) || (ARRAY['', '''', '\\', E'\\t', E'\\n', 'é🚀', ' ', '\\N', '''\\'''])[1 + s % 9],
    CASE s % 7 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '\\N' WHEN 3 THEN E'tab\\there\\nnew\\rcr\\\\back'
      WHEN 4 THEN 'NULL' WHEN 5 THEN repeat('ü', 300) ELSE 'plain ' || s END,
    CASE WHEN s % 5 = 0 THEN NULL ELSE left('v' || s || E'\\t''"', 20) END,
    CASE WHEN s % 4 = 0 THEN NULL ELSE 'ab' END,
    CASE s % 5 WHEN 0 THEN NULL WHEN 1 THEN ''::bytea WHEN 2 THEN decode('005c0a0d09ff4e', 'hex')
      ELSE decode(md5(s::text), 'hex') END,
    CASE s % 4 WHEN 0 THEN NULL WHEN 1 THEN '{}'::text[]
      WHEN 2 THEN ARRAY[NULL, '', 'NULL', 'a,b', '"q"', '\\', '{x}', E'\\t\\n']
      ELSE ARRAY['x' || s] END,
    CASE WHEN s % 3 = 0 THEN '{{1,2},{3,NULL}}'::int[] ELSE ARRAY[s, -s, NULL] END,
    CASE WHEN s % 3 = 0 THEN '{"b":1,  "a":[1,2], "a":"dup" }'::json
      ELSE json_build_object('s', s, 'u', E'é\\t"\\\\') END,
    jsonb_build_object('k', s, 'nul', NULL, 's', E'line\\nbreak "\\\\" \\u00e9'),
    CASE s % 8 WHEN 0 THEN 'NaN'::numeric WHEN 1 THEN (repeat('9', 120) || '.00001')::numeric
      WHEN 2 THEN -0.0000000000000000001 WHEN 3 THEN NULL WHEN 4 THEN 0.000
      WHEN 5 THEN 'Infinity'::numeric WHEN 6 THEN '-Infinity'::numeric ELSE s / 7.0 END,
    CASE s % 3 WHEN 0 THEN 9999999999.99 WHEN 1 THEN -9999999999.99 ELSE NULL END,
    CASE s % 8 WHEN 0 THEN '-0'::float8 WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity'
      WHEN 4 THEN 5e-324 WHEN 5 THEN 1.7976931348623157e308 WHEN 6 THEN NULL ELSE s / 3.0 END,
    CASE s % 4 WHEN 0 THEN '-0'::real WHEN 1 THEN 'NaN' WHEN 2 THEN 1.4e-45 ELSE s / 3.0 END,
    CASE WHEN s % 2 = 0 THEN 32767 ELSE -32768 END,
    CASE WHEN s % 2 = 0 THEN 2147483647 ELSE -2147483648 END,
    CASE s % 6 WHEN 0 THEN 'infinity'::timestamptz WHEN 1 THEN '-infinity' WHEN 2 THEN '0044-03-15 12:00:00.000001+05:30 BC'
      WHEN 3 THEN '294276-12-31 23:59:59.999999+00' WHEN 4 THEN NULL
      ELSE '2024-03-10 02:30:00.5-08'::timestamptz + s * interval '37 minutes' END,
    '2024-02-29 23:59:59.999'::timestamp + s * interval '1 second',
    CASE s % 4 WHEN 0 THEN 'infinity'::date WHEN 1 THEN '-infinity' WHEN 2 THEN '4713-01-01 BC' ELSE '2000-01-01'::date + s END,
    CASE WHEN s % 5 = 0 THEN '24:00:00'::time ELSE '00:00:00.000001'::time + s * interval '1 minute' END,
    CASE WHEN s % 9 = 0 THEN '-178000000 years'::interval
      ELSE make_interval(years => -(s % 5), days => s % 31, secs => s / 1000.0) END,
    md5(s::text)::uuid,
    CASE s % 3 WHEN 0 THEN true WHEN 1 THEN false END,
    CASE WHEN s % 2 = 0 THEN (s * 1.25)::numeric::money ELSE '-92233720368547758.08'::money END
  FROM generate_series(${from}, ${to}) AS s`;

let src: TestDatabase;
let dst: TestDatabase;
let source: RowsEngine;
let target: RowsEngine;
let sourceTypes: string[];
let targetTypes: string[];

async function columnTypes(url: string): Promise<string[]> {
  const engine = createPostgresEngine(url);
  try {
    const model = await engine.introspect({ schema: SCHEMA });
    const table = model.tables.find((t) => t.name === TABLE)!;
    return COLUMNS.map((c) => table.columns.find((m) => m.name === c)!.nativeType);
  } finally {
    await engine.close();
  }
}

/** An independent digest of the whole table, as the server prints its rows, in key order. */
async function digest(url: string): Promise<{ n: number; h: string }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number; h: string }>(
      // (the alias must not be a column name: a column "t" would win over the row alias t)
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(whole_row::text, E'\\n' ORDER BY whole_row.g, whole_row."na""me"), '')) AS h FROM ${T} AS whole_row`,
    );
    return rows[0]!;
  } finally {
    await c.end();
  }
}

async function truncateTarget(): Promise<void> {
  await execPostgres(dst.url, [`TRUNCATE ${T}`]);
}

before(async () => {
  [src, dst] = await Promise.all([
    createPostgresDatabase('cutover_cpt'),
    createPostgresDatabase('cutover_cpt'),
  ]);
  const setup = [`CREATE SCHEMA ${q(SCHEMA)}`, ddl('integer')];
  await Promise.all([execPostgres(src.url, setup), execPostgres(dst.url, setup)]);
  await execPostgres(src.url, [fill(1, ROWS), `ANALYZE ${T}`]);
  source = openRowsEngine('postgres', src.url);
  target = openRowsEngine('postgres', dst.url);
  [sourceTypes, targetTypes] = await Promise.all([columnTypes(src.url), columnTypes(dst.url)]);
});

after(async () => {
  await source?.close();
  await target?.close();
  await Promise.all([src?.drop(), dst?.drop()]);
});

/** Row access whose row-by-row reads and writes fail: only passthrough can copy with it. */
function rawOnly(engine: RowsEngine): RowsEngine {
  return {
    ...engine,
    readRange: () => Promise.reject(new Error('a row was decoded')),
    replaceRange: () => Promise.reject(new Error('a row was encoded')),
  };
}

const options = (): CopyTableOptions => ({
  source,
  target,
  sourceSchema: SCHEMA,
  sourceTable: TABLE,
  targetSchema: SCHEMA,
  targetTable: TABLE,
  columns: COLUMNS,
  key: KEY,
  columnTypes: { source: sourceTypes, target: targetTypes },
  split: { rowsPerSlice: 1500 },
  concurrency: 2,
  chunk: { initial: 200, min: 50, max: 700 },
});

async function sourceCopiesRunning(): Promise<number> {
  const c = new pg.Client({ connectionString: src.url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%' AND state <> 'idle'`,
    );
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

describe('copy PostgreSQL -> PostgreSQL, passthrough', () => {
  test('hostile values pass through undecoded, chunked by key, and arrive equal', async () => {
    await truncateTarget();
    let progress = 0;
    const result = await copyTable({
      ...options(),
      source: rawOnly(source),
      target: rawOnly(target),
      onProgress: () => {
        progress++;
      },
    });
    assert.equal(result.mode, 'passthrough', result.modeReason);
    assert.equal(result.rows, ROWS);
    assert.ok(result.bytes > ROWS * 100, `bytes ${result.bytes}`);
    assert.equal(result.checkpoint.slices.length, 4);
    assert.ok(result.chunks > 8, `${result.chunks} chunks`);
    assert.equal(progress, result.chunks);
    assert.ok(result.checkpoint.slices.every((s) => s.done));
    assert.equal(
      result.checkpoint.slices.reduce((n, s) => n + s.rows, 0),
      ROWS,
    );
    const expected = await digest(src.url);
    assert.equal(expected.n, ROWS);
    assert.deepEqual(await digest(dst.url), expected);
    // -0 and NaN kept as such (a decoded JS number would print -0 as 0)
    const c = new pg.Client({ connectionString: dst.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ z: number; n: number }>(
        `SELECT count(*) FILTER (WHERE f8::text = '-0')::int AS z, count(*) FILTER (WHERE f4::text = 'NaN')::int AS n FROM ${T}`,
      );
      assert.equal(rows[0]!.z, ROWS / 8);
      assert.equal(rows[0]!.n, ROWS / 4);
    } finally {
      await c.end();
    }
  });

  test('a chunk that fails mid-stream leaves nothing; retried, no duplicates', async () => {
    await truncateTarget();
    // The target fails once, in the middle of a chunk's COPY (row g = 25 of slice 2 or so).
    await execPostgres(dst.url, [
      `CREATE TABLE ${q(SCHEMA)}.fail_once (armed boolean)`,
      `INSERT INTO ${q(SCHEMA)}.fail_once VALUES (true)`,
      `CREATE FUNCTION ${q(SCHEMA)}.boom() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.g = 25 AND NEW."na""me" LIKE 'n60%' AND (SELECT armed FROM ${q(SCHEMA)}.fail_once) THEN
           RAISE EXCEPTION 'target broke mid-chunk';
         END IF;
         RETURN NEW;
       END $$`,
      `CREATE TRIGGER boom BEFORE INSERT ON ${T} FOR EACH ROW EXECUTE FUNCTION ${q(SCHEMA)}.boom()`,
    ]);
    try {
      let saved: CopyCheckpoint | null = null;
      await assert.rejects(
        copyTable({
          ...options(),
          concurrency: 1,
          onProgress: (p) => {
            saved = p.checkpoint;
          },
        }),
        /target broke mid-chunk/,
      );
      const checkpoint = JSON.parse(JSON.stringify(saved)) as CopyCheckpoint;
      const committed = checkpoint.slices.reduce((n, s) => n + s.rows, 0);
      // exactly the committed chunks are on the target: the failed chunk left no row
      assert.equal((await digest(dst.url)).n, committed);
      assert.ok(committed > 0 && committed < ROWS);
      // the failed chunk's source COPY was stopped and its session closed, not left streaming
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await sourceCopiesRunning(), 0);

      await execPostgres(dst.url, [`UPDATE ${q(SCHEMA)}.fail_once SET armed = false`]);
      // The retry starts from an older checkpoint than the last commit: the chunks after it are
      // applied a second time and must replace, not duplicate.
      const older = structuredClone(checkpoint);
      for (const s of older.slices) if (!s.done) s.lastKey = null;
      const result = await copyTable({ ...options(), checkpoint: older });
      assert.equal(result.mode, 'passthrough');
      assert.deepEqual(await digest(dst.url), await digest(src.url));
    } finally {
      await execPostgres(dst.url, [
        `DROP TRIGGER boom ON ${T}`,
        `DROP FUNCTION ${q(SCHEMA)}.boom()`,
        `DROP TABLE ${q(SCHEMA)}.fail_once`,
      ]);
    }
  });

  test('more slices at once than either pool has sessions: no slice waits on another forever', async () => {
    await truncateTarget();
    // 12 slices, 8 at once, against pools of 4 sessions per side.
    const copy = copyTable({
      ...options(),
      split: { rowsPerSlice: 500 },
      concurrency: 8,
      chunk: { initial: 60, min: 50, max: 120 },
    });
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the copy made no progress for 60 s')), 60_000);
    });
    try {
      const result = await Promise.race([copy, stuck]);
      assert.equal(result.mode, 'passthrough');
      assert.equal(result.checkpoint.slices.length, 12);
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(await digest(dst.url), await digest(src.url));
  });

  test('one chunk replaced twice through the raw path changes nothing', async () => {
    const raw = (e: RowsEngine) => e.raw!;
    const format = (await raw(source).format())!;
    const range = { lower: [10, 'n3'], upper: [30, "n90'\\'"] };
    for (let i = 0; i < 2; i++) {
      const loaded = await raw(target).replaceRange(
        SCHEMA,
        TABLE,
        COLUMNS,
        KEY,
        range,
        () => raw(source).readRange(SCHEMA, TABLE, COLUMNS, KEY, range, format),
        format,
      );
      assert.ok(loaded.rows > 100);
    }
    assert.deepEqual(await digest(dst.url), await digest(src.url));
    // a source that fails names the source table, and the target keeps the range as it was
    await assert.rejects(
      raw(target).replaceRange(
        SCHEMA,
        TABLE,
        COLUMNS,
        KEY,
        range,
        () => raw(source).readRange(SCHEMA, 'no such table', COLUMNS, KEY, range, format),
        format,
      ),
      (err: unknown) => err instanceof EngineInputError && /no such table.*does not exist/.test(err.message),
    );
    assert.deepEqual(await digest(dst.url), await digest(src.url));
  });

  test('aborted mid-copy, resumed from the checkpoint with source changes: equal', async () => {
    await truncateTarget();
    const ac = new AbortController();
    let saved: CopyCheckpoint | null = null;
    let n = 0;
    await assert.rejects(
      copyTable({
        ...options(),
        signal: ac.signal,
        onProgress: (p) => {
          if (ac.signal.aborted) return;
          saved = p.checkpoint;
          if (++n === 4) ac.abort(new Error('cancelled by the test'));
        },
      }),
      /cancelled by the test/,
    );
    const checkpoint = JSON.parse(JSON.stringify(saved)) as CopyCheckpoint;
    assert.ok(checkpoint.slices.some((s) => s.lastKey !== null && !s.done));
    const before = checkpoint.slices.reduce((r, s) => r + s.rows, 0);
    // Changes in ranges not copied yet, and new rows past the maximum key, reach the target.
    await execPostgres(src.url, [
      `DELETE FROM ${T} WHERE g = 49`,
      `UPDATE ${T} SET t = E'upd\\tated\\\\', f8 = '-0' WHERE g = 48`,
      fill(ROWS + 1, ROWS + 500).replace('s % 50,', '1000 + s,'),
    ]);
    const result = await copyTable({ ...options(), checkpoint });
    assert.equal(result.mode, 'passthrough');
    assert.ok(result.checkpoint.slices.every((s) => s.done));
    const expected = await digest(src.url);
    assert.equal(expected.n, ROWS - ROWS / 50 + 500);
    assert.deepEqual(await digest(dst.url), expected);
    // the resumed copy did not copy the committed chunks again
    assert.ok(result.rows - before < expected.n, 'resumed from the checkpoint');
  });
});

describe('copy PostgreSQL -> PostgreSQL, when not to pass through', () => {
  test('a column of another type on the target: rows are decoded, and still arrive equal', async () => {
    const other = await createPostgresDatabase('cutover_cpt');
    const otherRows = openRowsEngine('postgres', other.url);
    try {
      // i4 integer -> bigint: the same text either way, so whole-row digests still compare.
      await execPostgres(other.url, [`CREATE SCHEMA ${q(SCHEMA)}`, ddl('bigint')]);
      const types = await columnTypes(other.url);
      assert.equal(types[COLUMNS.indexOf('i4')], 'bigint');
      const result = await copyTable({
        ...options(),
        target: otherRows,
        columnTypes: { source: sourceTypes, target: types },
      });
      assert.equal(result.mode, 'rows');
      assert.match(result.modeReason, /i4 \(integer -> bigint\)/);
      assert.deepEqual(await digest(other.url), await digest(src.url));
    } finally {
      await otherRows.close();
      await other.drop();
    }
  });

  test('refused: no types, a translator, key-set deletes, another session format, one pool', async () => {
    const base = options();
    const reason = async (o: Partial<CopyTableOptions>) => {
      const d = await choosePassthrough({ ...base, ...o });
      assert.equal(d.mode, 'rows');
      return d.reason;
    };
    assert.equal((await choosePassthrough(base)).mode, 'passthrough');
    assert.match(await reason({ columnTypes: undefined }), /column types are not known/);
    assert.match(await reason({ translateRow: (r) => [...r] }), /value translator/);
    assert.match(await reason({ deleteBy: 'keys' }), /by key/);
    assert.match(await reason({ passthrough: false }), /turned off/);
    assert.match(await reason({ target: source }), /same row access/);
    // a marked identity translator is fine
    const identity = Object.assign((r: readonly unknown[]) => r as unknown[], { identity: true });
    assert.equal((await choosePassthrough({ ...base, translateRow: identity })).mode, 'passthrough');
    // sessions printing dates another way (DateStyle from the connection) never exchange raw text
    const pool = new pg.Pool({
      connectionString: dst.url, // every other setting as the engine pins it: only DateStyle differs
      options:
        '-c DateStyle=SQL,DMY -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres',
      max: 1,
    });
    // pool.end() resolves before its sessions have closed; the database is dropped right after
    pool.on('error', () => undefined);
    const german = postgresRowsEngine(pool, true);
    try {
      assert.match(await reason({ target: german }), /formats differ/);
    } finally {
      await german.close();
    }
  });
});
