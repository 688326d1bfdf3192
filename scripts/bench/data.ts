// Benchmark data: the same deterministic tables on PostgreSQL and MariaDB, generated server-side
// (INSERT ... SELECT from generate_series on PostgreSQL, from the SEQUENCE engine's seq_1_to_N on
// MariaDB), so a run takes seconds to set up and every contender reads exactly the same rows.
//   orders: bigint key, int, numeric(12,2), double, text of 1..240 chars, timestamp(6), boolean, json
//   blobs:  bigint key, smallint, bigint, varchar(64), bytea/blob of 16..512 bytes, timestamp(6)
//   hot:    the capture benchmark's table (small rows, updated/inserted/deleted by load.ts)
// Row counts scale with --scale (1 = the full size).
import mysql from 'mysql2/promise';
import pg from 'pg';

export const PG_ADMIN = process.env.CUTOVER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MY_ADMIN = process.env.CUTOVER_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
export const SOURCE_DB = 'cutover_bench_src';

export interface Sizes {
  orders: number;
  blobs: number;
  hot: number;
}

export function sizes(scale: number): Sizes {
  const n = (full: number) => Math.max(1000, Math.round(full * scale));
  return { orders: n(1_500_000), blobs: n(500_000), hot: n(100_000) };
}

export function dbUrl(admin: string, db: string): string {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Target tables: the primary key only, created the same way before every contender's load. */
export const PG_TABLES_DDL = [
  `CREATE TABLE orders (id bigint PRIMARY KEY, customer integer, amount numeric(12,2),
     ratio double precision, note text, created_at timestamp(6) without time zone, paid boolean, attrs jsonb)`,
  `CREATE TABLE blobs (id bigint PRIMARY KEY, kind smallint, big bigint, label varchar(64), payload bytea,
     updated_at timestamp(6) without time zone)`,
];
export const PG_HOT_DDL = `CREATE TABLE hot (id bigint PRIMARY KEY, v integer, note text, at timestamp(6) without time zone)`;

/** The PostgreSQL target types of the MariaDB tables (what cutover's mapping and pgloader produce). */
export const MYSQL_TO_PG_TYPES: Record<string, Record<string, string>> = {
  orders: {
    id: 'bigint',
    customer: 'integer',
    amount: 'numeric(12,2)',
    ratio: 'double precision',
    note: 'text',
    created_at: 'timestamp(6) without time zone',
    paid: 'boolean',
    attrs: 'jsonb',
  },
  blobs: {
    id: 'bigint',
    kind: 'smallint',
    big: 'bigint',
    label: 'character varying(64)',
    payload: 'bytea',
    updated_at: 'timestamp(6) without time zone',
  },
};
export const TABLES = ['orders', 'blobs'] as const;
export const COLUMNS: Record<string, string[]> = {
  orders: Object.keys(MYSQL_TO_PG_TYPES.orders!),
  blobs: Object.keys(MYSQL_TO_PG_TYPES.blobs!),
};

export async function pgExec(url: string, statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

/** Drop and create an empty PostgreSQL database. */
export async function freshPgDatabase(name: string): Promise<string> {
  await pgExec(PG_ADMIN, [`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}"`]);
  return dbUrl(PG_ADMIN, name);
}

export async function generatePostgres(s: Sizes): Promise<string> {
  const url = await freshPgDatabase(SOURCE_DB);
  await pgExec(url, [
    ...PG_TABLES_DDL,
    PG_HOT_DDL,
    `INSERT INTO orders
       SELECT g, (g * 7919) % 100000, ((g * 37) % 1000000) / 100.0, ((g % 1000) / 7.0)::float8,
              repeat(md5(g::text), (g % 8)::int) || 'é' || (g % 10)::text,
              timestamp '2020-01-01' + g * interval '1.000123 second', g % 3 = 0,
              jsonb_build_object('g', g, 'tag', md5(g::text), 'n', g % 10, 'arr', jsonb_build_array(g % 5, g % 7))
         FROM generate_series(1::bigint, ${s.orders}) g`,
    `INSERT INTO blobs
       SELECT g, g % 300, g * 1000003, 'label-' || md5(g::text),
              decode(repeat(md5(g::text), (1 + g % 32)::int), 'hex'),
              timestamp '2021-06-01' + g * interval '0.5 second'
         FROM generate_series(1::bigint, ${s.blobs}) g`,
    `INSERT INTO hot SELECT g, g, md5(g::text), timestamp '2022-01-01' + g * interval '1 second'
       FROM generate_series(1::bigint, ${s.hot}) g`,
    `VACUUM ANALYZE orders`,
    `VACUUM ANALYZE blobs`,
    `VACUUM ANALYZE hot`,
  ]);
  return url;
}

export async function generateMysql(s: Sizes): Promise<string> {
  const c = await mysql.createConnection({ uri: MY_ADMIN, multipleStatements: false });
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${SOURCE_DB}\``);
    await c.query(`CREATE DATABASE \`${SOURCE_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await c.query(`USE \`${SOURCE_DB}\``);
    await c.query(`SET time_zone = '+00:00'`);
    await c.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer int, amount decimal(12,2),
      ratio double, note text, created_at datetime(6), paid tinyint(1), attrs json) ENGINE=InnoDB`);
    await c.query(`CREATE TABLE blobs (id bigint PRIMARY KEY, kind smallint, big bigint, label varchar(64),
      payload blob, updated_at datetime(6)) ENGINE=InnoDB`);
    // seq_1_to_N comes from MariaDB's SEQUENCE engine; in slices of 250k to keep transactions small.
    const step = 250_000;
    for (let lo = 1; lo <= s.orders; lo += step) {
      const hi = Math.min(s.orders, lo + step - 1);
      await c.query(`INSERT INTO orders
        SELECT seq, (seq * 7919) % 100000, ((seq * 37) % 1000000) / 100, (seq % 1000) / 7e0,
               CONCAT(REPEAT(MD5(seq), seq % 8), 'é', seq % 10),
               TIMESTAMPADD(MICROSECOND, seq * 1000123, '2020-01-01 00:00:00'), seq % 3 = 0,
               JSON_OBJECT('g', seq, 'tag', MD5(seq), 'n', seq % 10, 'arr', JSON_ARRAY(seq % 5, seq % 7))
          FROM seq_${lo}_to_${hi}`);
    }
    for (let lo = 1; lo <= s.blobs; lo += step) {
      const hi = Math.min(s.blobs, lo + step - 1);
      await c.query(`INSERT INTO blobs
        SELECT seq, seq % 300, seq * 1000003, CONCAT('label-', MD5(seq)), UNHEX(REPEAT(MD5(seq), 1 + seq % 32)),
               TIMESTAMPADD(MICROSECOND, seq * 500000, '2021-06-01 00:00:00')
          FROM seq_${lo}_to_${hi}`);
    }
    await c.query(`ANALYZE TABLE orders, blobs`);
  } finally {
    await c.end();
  }
  return dbUrl(MY_ADMIN, SOURCE_DB);
}

/** Logical size of a table's rows as PostgreSQL stores them (one denominator for every contender). */
export async function pgRowBytes(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ b: string }>(
      `SELECT sum(pg_column_size(t.*))::text AS b FROM ${table} t`,
    );
    return Number(rows[0]?.b ?? 0);
  } finally {
    await c.end();
  }
}

export async function pgCount(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

if (require.main === module) {
  const arg = process.argv.indexOf('--scale');
  const scale = arg > 0 ? Number(process.argv[arg + 1]) : 1;
  const s = sizes(scale);
  const t0 = Date.now();
  Promise.all([generatePostgres(s), generateMysql(s)])
    .then(() => console.log(`generated ${JSON.stringify(s)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
