// A fixed-rate write load on the capture benchmark's `hot` table (PostgreSQL, or MySQL/MariaDB for a
// mysql:// URL): single-statement autocommit writes, 70% UPDATE of an existing row, 15% INSERT of a
// new row, 15% DELETE of a row this generator inserted. Writes are issued on a schedule (rate x
// elapsed time), never faster; if the server falls behind, the achieved rate says so. Bounded in
// time. Deterministic (seeded PRNG): the same statements on either engine.
//   BENCH_LOAD_URL=postgres://...|mysql://... tsx scripts/bench/load.ts --rate 2000 --seconds 60 --rows 100000
// (the URL comes from the environment: a password stays out of argv and of a failed command's text)
// Prints one JSON line: {"issued":..,"done":..,"errors":..,"seconds":..,"rate":..}.
import mysql from 'mysql2/promise';
import pg from 'pg';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_LOAD_URL ?? 'postgres://postgres@127.0.0.1:5432/cutover_bench_src';
  const rate = Number(arg('rate', '2000'));
  const seconds = Number(arg('seconds', '60'));
  const rows = Number(arg('rows', '100000'));
  // 8 sessions either way; statements in PostgreSQL's $n form, rewritten once to ? for MySQL.
  const my = /^(mysql|mariadb):/.test(url);
  const pgPool = my ? null : new pg.Pool({ connectionString: url, max: 8 });
  const myPool = my
    ? mysql.createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 8 })
    : null;
  const dialect = (sql: string) =>
    my ? sql.replace(/\$\d+/g, '?').replace('clock_timestamp()', 'NOW(6)') : sql;
  const UPDATE = dialect('UPDATE hot SET v = v + 1, at = clock_timestamp() WHERE id = $1');
  const INSERT = dialect('INSERT INTO hot VALUES ($1, $2, md5($3), clock_timestamp())');
  const DELETE = dialect('DELETE FROM hot WHERE id = $1');
  const query = (sql: string, params: (number | string)[]): Promise<unknown> =>
    myPool ? myPool.execute(sql, params) : pgPool!.query(sql, params);
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  let nextId = rows + 1;
  const inserted: number[] = [];
  let issued = 0;
  let done = 0;
  let errors = 0;
  let inFlight = 0;
  const write = (): Promise<unknown> => {
    const r = random();
    if (r < 0.7 || (r >= 0.85 && !inserted.length)) {
      const id = 1 + Math.floor(random() * rows);
      return query(UPDATE, [id]);
    }
    if (r < 0.85) {
      const id = nextId++;
      inserted.push(id);
      return query(INSERT, [id, issued, String(id)]);
    }
    const id = inserted.splice(Math.floor(random() * inserted.length), 1)[0]!;
    return query(DELETE, [id]);
  };
  const started = Date.now();
  const end = started + seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = Date.now();
      const due = Math.floor(((Math.min(now, end) - started) / 1000) * rate);
      // Never more than 64 statements queued: past that the server is the bottleneck.
      while (issued < due && inFlight < 64) {
        issued++;
        inFlight++;
        write()
          .then(
            () => done++,
            (err: unknown) => {
              if (!errors++) console.error(String(err));
            },
          )
          .finally(() => inFlight--);
      }
      if (now >= end && inFlight === 0) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const elapsed = (Date.now() - started) / 1000;
  await (myPool ? myPool.end() : pgPool!.end());
  console.log(JSON.stringify({ issued, done, errors, seconds: elapsed, rate: done / seconds }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
