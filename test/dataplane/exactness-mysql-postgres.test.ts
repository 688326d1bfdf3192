// Exactness, MariaDB -> PostgreSQL, on real servers (DESIGN.md "Exact" and "Durable"): a fixture with
// composite keys, a parent/child foreign key, integer keys, a utf8mb4_general_ci text key (which the
// writer also changes to its upper case), NULLs, 4-byte unicode, binary, 100 KB texts, BIGINT
// UNSIGNED max, DECIMAL(65,30), float extremes, DATETIME '1000-01-01' .. '9999-12-31 23:59:59.999999'
// and the TIMESTAMP range edges goes through the pipeline while a writer inserts, updates (keys too),
// deletes and writes NULLs and extremes from before the capture exists, through the copy and through
// catch-up passes that apply its changes while it writes; then it stops and a last catch-up drains
// the rest. The validator then reports every table matching, and a comparison of the test's own
// (plain SQL on each side, normalised here) finds the target equal row for row. Twice: copy in this
// process; copy in a child SIGKILLed mid-copy and restarted.
//
// Not covered because trigger capture cannot see it: MySQL runs no trigger for changes made by
// ON DELETE/UPDATE CASCADE, so cascaded child changes never reach the changelog (with CASCADE here
// the post-load foreign key fails on orphaned target children).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { prepareSchema, validateTables, type PipelineJob } from '../../src/dataplane/pipeline';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  type TestDatabase,
} from '../helpers/databases';
import {
  assertAllMatch,
  assertStaleTarget,
  prng,
  runScenario,
  Writer,
  type Write,
} from '../helpers/exactness';

const TABLES = ['parent', 'child', 'docs', 'extremes'];
const U64_MAX = '18446744073709551615';
const BIG_TEXT = 'ab𝄞c'.repeat(20_000); // ~100 KB
const DT_EDGES = ['1000-01-01 00:00:00.000000', '9999-12-31 23:59:59.999999'];
const TS_EDGES = ['1970-01-01 00:00:01.000000', '2038-01-19 03:14:07.999999'];
const FLOATS = [3.4e38, -3.4e38, 1.175494e-38, 0, 1.5];
const DOUBLES = [1.7976931348623157e308, -1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 0.1];

const dbs: TestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

async function connect(url: string) {
  const c = await mysql.createConnection({
    uri: url,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  await c.query(`SET time_zone = '+00:00'`);
  return c;
}

const code = (i: number) => (i % 5 === 0 ? `κ😀-${i}` : `doc-${String(i).padStart(5, '0')}`);

async function createFixture(db: TestDatabase): Promise<void> {
  await execMysql(db.url, [
    `CREATE TABLE parent (id bigint unsigned PRIMARY KEY, name varchar(100) COLLATE utf8mb4_bin NULL,
       amount decimal(65,30) NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    `CREATE TABLE child (parent_id bigint unsigned NOT NULL, seq int NOT NULL, note text NULL,
       PRIMARY KEY (parent_id, seq), KEY child_parent (parent_id),
       CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id))
       CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    `CREATE TABLE docs (code varchar(40) COLLATE utf8mb4_general_ci PRIMARY KEY, body longtext NULL,
       bin blob NULL, fixed varbinary(16) NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    `CREATE TABLE extremes (id int AUTO_INCREMENT PRIMARY KEY, u bigint unsigned NULL, i bigint NULL, f float NULL,
       d double NULL, dt datetime(6) NULL, ts timestamp(6) NULL DEFAULT NULL, dd date NULL)
       CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  ]);
  const c = await connect(db.url);
  try {
    const parents: unknown[][] = [];
    for (let i = 1; i <= 3000; i++)
      parents.push([
        i === 3000 ? U64_MAX : String(i),
        i % 7 === 0 ? null : `p${i} 🚀`,
        i % 11 === 0 ? null : `${'9'.repeat(35)}.${String(i).padStart(30, '0')}`,
      ]);
    const children: unknown[][] = [];
    for (let i = 1; i <= 3000; i++)
      children.push([String(1 + (i % 1500)), i, i % 9 === 0 ? null : `c${i} 𝄞 '\\"`]);
    const docs: unknown[][] = [];
    for (let i = 1; i <= 1500; i++)
      docs.push([
        code(i),
        i % 150 === 0 ? BIG_TEXT : i % 13 === 0 ? null : `body ${i} 😀`,
        i % 17 === 0 ? null : Buffer.from([0, i % 256, 255, 92, 39, 10]),
        i % 3 === 0 ? null : Buffer.alloc(16, i % 256),
      ]);
    const extremes: unknown[][] = [];
    for (let i = 1; i <= 3000; i++)
      extremes.push([
        i,
        i % 10 === 0 ? null : i % 2 ? U64_MAX : String(i),
        i % 3 ? '-9223372036854775808' : '9223372036854775807',
        i % 19 === 0 ? null : FLOATS[i % FLOATS.length],
        i % 23 === 0 ? null : DOUBLES[i % DOUBLES.length],
        i % 29 === 0 ? null : DT_EDGES[i % 2],
        i % 31 === 0 ? null : TS_EDGES[i % 2],
        i % 2 ? '1000-01-01' : '9999-12-31',
      ]);
    for (const [table, rows] of [
      ['parent', parents],
      ['child', children],
      ['docs', docs],
      ['extremes', extremes],
    ] as const)
      for (let i = 0; i < rows.length; i += 500)
        await c.query(`INSERT INTO ${table} VALUES ?`, [rows.slice(i, i + 500)]);
    await c.query('ANALYZE TABLE parent, child, docs, extremes');
  } finally {
    await c.end();
  }
}

/** Random writes over every table: inserts, updates (keys too), deletes, NULLs, extremes. */
function nextWrite(rand: () => number): Write {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const id = 1 + Math.floor(rand() * 3600);
  switch (Math.floor(rand() * 15)) {
    case 0:
      return { sql: 'INSERT INTO parent VALUES (?, ?, ?)', params: [String(id), `new ${id} 😀`, '-1.5'] };
    case 1:
      return {
        sql: 'UPDATE parent SET name = ?, amount = NULL WHERE id = ?',
        params: [pick([null, '𝄞x', '']), String(id)],
      };
    case 2: // a key change (fails where children reference the row)
      return { sql: 'UPDATE parent SET id = ? WHERE id = ?', params: [String(id + 4000), String(id)] };
    case 3:
      return { sql: 'DELETE FROM child WHERE parent_id = ?', params: [String(1 + (id % 1500))] };
    case 4:
      return { sql: 'DELETE FROM parent WHERE id = ?', params: [String(id)] };
    case 5:
      return {
        sql: 'INSERT INTO child VALUES (?, ?, ?)',
        params: [String(1 + (id % 1500)), id + 5000, pick([null, '👍'])],
      };
    case 6: // composite key change
      return {
        sql: 'UPDATE child SET seq = seq + 10000 WHERE parent_id = ? AND seq < 10000',
        params: [String(1 + (id % 1500))],
      };
    case 7:
      return {
        sql: 'INSERT INTO docs VALUES (?, ?, ?, ?)',
        params: [`w-${id}-🦄`, rand() < 0.2 ? BIG_TEXT : 'w', Buffer.from([255, 0, id % 256]), null],
      };
    case 8:
      return {
        sql: 'UPDATE docs SET body = ?, bin = ?, fixed = NULL WHERE code = ?',
        params: [pick([null, BIG_TEXT, 'é']), pick([null, Buffer.from([0, 0, 0])]), code(id % 1500)],
      };
    case 9: // text key change
      return { sql: 'UPDATE docs SET code = ? WHERE code = ?', params: [`moved-${id}-𝄞`, code(id % 1500)] };
    case 10:
      return { sql: 'DELETE FROM docs WHERE code = ?', params: [code(id % 1500)] };
    case 11:
      return {
        sql: 'UPDATE extremes SET u = ?, i = ?, f = ?, d = ?, dt = ?, ts = ?, dd = ? WHERE id = ?',
        params: [
          pick([U64_MAX, '0', null]),
          pick(['-9223372036854775808', null]),
          pick([...FLOATS, null]),
          pick([...DOUBLES, null]),
          pick([...DT_EDGES, null]),
          pick([...TS_EDGES, null]),
          pick(['1000-01-01', '9999-12-31', null]),
          id,
        ],
      };
    case 12:
      return { sql: 'UPDATE extremes SET id = ? WHERE id = ?', params: [id + 10000, id] };
    case 13: // a key change the _ci key compares equal: 'doc-00007' -> 'DOC-00007'
      return { sql: 'UPDATE docs SET code = UPPER(code) WHERE code = ?', params: [code(id % 1500)] };
    default:
      return { sql: 'DELETE FROM extremes WHERE id = ?', params: [id] };
  }
}

async function startWriter(url: string, seed: number): Promise<Writer> {
  const c = await connect(url);
  const rand = prng(seed);
  const writer = new Writer(
    async (w) => {
      await c.query(w.sql, w.params);
    },
    () => nextWrite(rand),
    { maxWrites: 5000, maxMs: 25_000, pauseMs: 2 },
  );
  const stop = writer.stop.bind(writer);
  writer.stop = async () => {
    const r = await stop();
    await c.end().catch(() => undefined);
    return r;
  };
  return writer;
}

/** Compare key cells in code point order (MySQL utf8mb4_bin and PostgreSQL may order differently). */
function sortRows(rows: unknown[][], keyCount: number): unknown[][] {
  const cell = (v: unknown) =>
    typeof v === 'number' ? v.toString().padStart(25, '0') : String(v).padStart(25, '0');
  const k = (r: unknown[]) => Buffer.from(r.slice(0, keyCount).map(cell).join('\u0000'));
  return rows.sort((a, b) => Buffer.compare(k(a), k(b)));
}

const MY_SQL: Record<string, [string, number]> = {
  parent: ['SELECT CAST(id AS CHAR), name, CAST(amount AS CHAR) FROM parent', 1],
  child: ['SELECT CAST(parent_id AS CHAR), seq, note FROM child', 2],
  docs: ['SELECT code, body, HEX(bin), HEX(fixed) FROM docs', 1],
  extremes: [
    `SELECT id, CAST(u AS CHAR), CAST(i AS CHAR), f + 0e0, d, DATE_FORMAT(dt, '%Y-%m-%d %H:%i:%s.%f'),
       DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), CAST(dd AS CHAR) FROM extremes`,
    1,
  ],
};
const PG_SQL: Record<string, string> = {
  parent: 'SELECT id::text, name, amount::text FROM public.parent',
  child: 'SELECT parent_id::text, seq, note FROM public.child',
  docs: `SELECT code, body, upper(encode(bin, 'hex')), upper(encode(fixed, 'hex')) FROM public.docs`,
  extremes: `SELECT id, u::text, i::text, f::float8, d, to_char(dt, 'YYYY-MM-DD HH24:MI:SS.US'),
    to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), dd::text FROM public.extremes`,
};
const PG_KEYS: Record<string, string> = {
  parent: 'id',
  child: 'parent_id, seq',
  docs: 'code',
  extremes: 'id',
};

/** The test's own comparison: both sides read with plain SQL, normalised here, deep-equal. */
async function compareAll(sourceUrl: string, targetUrl: string): Promise<Record<string, number>> {
  const my = await connect(sourceUrl);
  const p = new pg.Client({ connectionString: targetUrl });
  await p.connect();
  const counts: Record<string, number> = {};
  try {
    for (const table of TABLES) {
      const [sql, keyCount] = MY_SQL[table]!;
      const [mine] = await my.query({ sql, rowsAsArray: true });
      const { rows: theirs } = await p.query<unknown[]>({ text: PG_SQL[table]!, rowMode: 'array' });
      const norm = (rows: unknown[][]) =>
        sortRows(
          rows.map((r) =>
            table === 'extremes'
              ? r.map((v, i) =>
                  v === null ? null : i === 3 ? Math.fround(Number(v)) : i === 4 ? Number(v) : v,
                )
              : r,
          ),
          keyCount,
        );
      const a = norm(mine as unknown[][]);
      const b = norm(theirs);
      assert.equal(b.length, a.length, `${table}: row count`);
      for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i], `${table}: row ${i}`);
      const { rows: dup } = await p.query(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM public.${table} GROUP BY ${PG_KEYS[table]} HAVING count(*) > 1) d`,
      );
      assert.equal(dup[0].n, 0, `${table}: duplicate keys on the target`);
      counts[table] = a.length;
    }
  } finally {
    await my.end();
    await p.end();
  }
  return counts;
}

async function scenario(
  mode: 'straight' | 'killed',
  seed: number,
  beforeCatchUp?: (urls: string[]) => Promise<void>,
) {
  const [source, target] = await Promise.all([
    createMysqlDatabase('cutover_exm'),
    createPostgresDatabase('cutover_exm'),
  ]);
  dbs.push(source, target);
  await createFixture(source);
  const job: PipelineJob = {
    source: { kind: 'mysql', url: source.url, schema: source.name },
    target: { kind: 'postgres', url: target.url, schema: 'public' },
    tables: TABLES,
  };
  const result = await runScenario(job, () => startWriter(source.url, seed), mode, {
    beforeCatchUp: beforeCatchUp && (() => beforeCatchUp([source.url, target.url])),
  });
  return { source, target, job, result };
}

/** The finalize phase set the identity of extremes.id past the largest copied id. */
async function assertIdentityPastMax(targetUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: targetUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ next: string; max: string }>(
      `SELECT nextval(pg_get_serial_sequence('public.extremes', 'id'))::text AS next,
              (SELECT max(id) FROM public.extremes)::text AS max`,
    );
    assert.ok(BigInt(rows[0]!.next) > BigInt(rows[0]!.max), JSON.stringify(rows[0]));
  } finally {
    await c.end();
  }
}

let straight: Awaited<ReturnType<typeof scenario>> | undefined;

test('mysql -> postgres: exact after copy + catch-up under concurrent writes', async () => {
  // Before the catch-up the target must differ: the writes during the copy matter, and only the
  // changelog brings them over.
  let staleError: unknown = null;
  straight = await scenario('straight', 1, async ([sourceUrl, targetUrl]) => {
    staleError = await compareAll(sourceUrl!, targetUrl!).then(
      () => null,
      (err: unknown) => err,
    );
  });
  assertStaleTarget(staleError);
  assertAllMatch(straight.result);
  const counts = await compareAll(straight.source.url, straight.target.url);
  await assertIdentityPastMax(straight.target.url);
  console.log(
    `straight: ${JSON.stringify({ ms: straight.result.ms, writes: straight.result.writes, live: straight.result.live, counts })}`,
  );
});

test('mysql -> postgres: exact when the copier is SIGKILLed mid-copy and resumed', async () => {
  const { source, target, result } = await scenario('killed', 2);
  assert.ok(result.killedAt, 'the copier was killed');
  assertAllMatch(result);
  const counts = await compareAll(source.url, target.url);
  await assertIdentityPastMax(target.url);
  console.log(
    `killed: ${JSON.stringify({ ms: result.ms, killedAt: result.killedAt, writes: result.writes, live: result.live, counts })}`,
  );
});

test('mysql -> postgres: the comparison and the validator catch a corrupted target row', async (t) => {
  if (!straight) return t.skip('needs the straight scenario');
  const p = new pg.Client({ connectionString: straight.target.url });
  await p.connect();
  try {
    const { rows } = await p.query(`SELECT code FROM public.docs ORDER BY code LIMIT 1 OFFSET 10`);
    await p.query(`UPDATE public.docs SET body = coalesce(body, '') || 'x' WHERE code = $1`, [rows[0].code]);
  } finally {
    await p.end();
  }
  await assert.rejects(compareAll(straight.source.url, straight.target.url), /docs: row/);
  const reports = await validateTables(straight.job, await prepareSchema(straight.job), {
    recheckAttempts: 0,
  });
  const docs = reports.find((r) => r.source.table === 'docs')!;
  assert.equal(docs.status, 'mismatch');
  assert.equal(docs.mismatched, 1);
});
