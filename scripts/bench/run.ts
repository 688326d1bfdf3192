// `npm run bench [-- --only copy-pg|copy-mysql|validate|capture] [--scale 0.05]`
//   copy-pg options: [--rounds N] (contenders in turn N times, median ratios) [--with-rows-path]
// Every figure is a ratio against a peer run side by side, in the same run, on the same generated
// data (scripts/bench/data.ts). See docs/BENCHMARKS.md for what each stage measures and why.
// Results: a table on stdout and .cutover/bench/bench-<timestamp>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import mysqlCb from 'mysql2';
import pg from 'pg';
import { applyBatch, type ApplierOptions } from '../../src/dataplane/capture/applier';
import { openTriggerCapture } from '../../src/dataplane/capture/capture-engine';
import { copyTable } from '../../src/dataplane/copy/copier';
import { openRowsEngine, type RowsEngine } from '../../src/dataplane/copy/rows-engine';
import { canonicalColumns } from '../../src/dataplane/validate/canonical';
import { keyTranslation } from '../../src/dataplane/validate/keys';
import { openRangeReader } from '../../src/dataplane/validate/readers';
import { validateTable } from '../../src/dataplane/validate/validator';
import { keyTranslator, rowTranslator, type ColumnConversion } from '../../src/dataplane/values';
import type { TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import {
  COLUMNS,
  dbUrl,
  freshPgDatabase,
  generateMysql,
  generatePostgres,
  MYSQL_TO_PG_TYPES,
  PG_ADMIN,
  PG_HOT_DDL,
  PG_TABLES_DDL,
  pgCount,
  pgExec,
  pgRowBytes,
  sizes,
  SOURCE_DB,
  TABLES,
  type Sizes,
} from './data';

type Stage = 'copy-pg' | 'copy-mysql' | 'validate' | 'capture';
const STAGES: Stage[] = ['copy-pg', 'copy-mysql', 'validate', 'capture'];

interface Row {
  stage: Stage;
  contender: string;
  seconds: number;
  rows?: number;
  bytes?: number;
  extra?: Record<string, number | string>;
}
interface Ratio {
  stage: Stage;
  name: string;
  value: number;
  target: string;
  met: boolean | null;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const scale = Number(arg('scale') ?? '1');
const only = arg('only') as Stage | undefined;
if (only && !STAGES.includes(only)) throw new Error(`--only must be one of ${STAGES.join(', ')}`);
const captureSeconds = Number(arg('capture-seconds') ?? (scale >= 1 ? '60' : '10'));
const profile = process.argv.includes('--profile');
const withRowsPath = process.argv.includes('--with-rows-path');
/** copy-pg only: run the contenders this many times in turn and report the median ratios. */
const rounds = Math.max(1, Math.floor(Number(arg('rounds') ?? '1')));
const rows: Row[] = [];
const ratios: Ratio[] = [];
const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
const secs = (t0: number) => (performance.now() - t0) / 1000;

function sh(command: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', command], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command}\nexit ${code}\n${err.slice(-3000)}`)),
    );
  });
}

const PG_SRC = dbUrl(PG_ADMIN, SOURCE_DB);
const DB = {
  pgRaw: 'cutover_bench_pg_raw',
  pgCopydb: 'cutover_bench_pg_pgcopydb',
  pgCutover: 'cutover_bench_pg_cutover',
  myCutover: 'cutover_bench_my_cutover',
  myPgloader: 'cutover_bench_my_pgloader',
  capture: 'cutover_bench_capture',
};

async function freshTarget(name: string): Promise<string> {
  const url = await freshPgDatabase(name);
  await pgExec(url, PG_TABLES_DDL);
  return url;
}

async function checkCounts(url: string, s: Sizes, who: string): Promise<number> {
  let total = 0;
  for (const t of TABLES) {
    const n = await pgCount(url, t);
    if (n !== s[t]) throw new Error(`${who}: ${t} has ${n} rows, expected ${s[t]}`);
    total += n;
  }
  return total;
}

/** The column types (DDL spelling) of `tables` on a PostgreSQL database, in COLUMNS order. */
async function pgColumnTypes(url: string): Promise<Map<string, string[]>> {
  const engine = createPostgresEngine(url);
  try {
    const model = await engine.introspect({ schema: 'public' });
    return new Map(
      TABLES.map((t) => {
        const table = model.tables.find((m) => m.name === t)!;
        return [t, COLUMNS[t]!.map((c) => table.columns.find((m) => m.name === c)!.nativeType)];
      }),
    );
  } finally {
    await engine.close();
  }
}

/**
 * cutover's copier as a move runs it: the column types from both sides' catalogs (untimed, before
 * the clock starts), so identical tables pass through undecoded; `passthrough: false` forces the
 * row path for comparison. Returns the mode each table took.
 */
async function cutoverCopyPg(
  targetUrl: string,
  passthrough = true,
): Promise<{ run: () => Promise<void>; modes: string[] }> {
  const [sourceTypes, targetTypes] = await Promise.all([pgColumnTypes(PG_SRC), pgColumnTypes(targetUrl)]);
  const modes: string[] = [];
  const run = async () => {
    const source = openRowsEngine('postgres', PG_SRC);
    const target = openRowsEngine('postgres', targetUrl);
    try {
      for (const t of TABLES) {
        const result = await copyTable({
          source,
          target,
          sourceSchema: 'public',
          sourceTable: t,
          targetSchema: 'public',
          targetTable: t,
          columns: COLUMNS[t]!,
          key: ['id'],
          columnTypes: { source: sourceTypes.get(t)!, target: targetTypes.get(t)! },
          passthrough,
          concurrency: 2,
        });
        modes.push(`${t}: ${result.mode} (${result.chunks} chunks)`);
      }
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  };
  return { run, modes };
}

async function mysqlModels(myUrl: string): Promise<Map<string, TableModel>> {
  const engine = createMysqlEngine(myUrl);
  try {
    const model = await engine.introspect();
    return new Map(model.tables.map((t) => [t.name, t]));
  } finally {
    await engine.close();
  }
}

async function cutoverCopyMysql(myUrl: string, targetUrl: string): Promise<void> {
  const models = await mysqlModels(myUrl);
  const source = openRowsEngine('mysql', myUrl);
  const target = openRowsEngine('postgres', targetUrl);
  try {
    for (const t of TABLES) {
      const table = models.get(t)!;
      const conversions: ColumnConversion[] = COLUMNS[t]!.map((name) => ({
        source: table.columns.find((c) => c.name === name)!,
        targetType: MYSQL_TO_PG_TYPES[t]![name]!,
      }));
      await copyTable({
        source,
        target,
        sourceSchema: SOURCE_DB,
        sourceTable: t,
        targetSchema: 'public',
        targetTable: t,
        columns: COLUMNS[t]!,
        key: ['id'],
        translateRow: rowTranslator('mysql', 'postgres', t, conversions, ['id']),
        translateKey: keyTranslator('mysql', 'postgres', t, conversions.slice(0, 1)),
        concurrency: 2,
      });
    }
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
};

/**
 * One round of the PG -> PG copy contenders, one after the other on fresh targets. Returns each
 * contender's seconds (pgcopydb: null when it failed; 0.10 sometimes segfaults after its COPY phase).
 */
async function copyPgRound(s: Sizes, bytes: number, round: number): Promise<Record<string, number | null>> {
  const total = s.orders + s.blobs;
  const tag = rounds > 1 ? ` (round ${round})` : '';
  const extra = rounds > 1 ? { round: String(round) } : undefined;
  const seconds: Record<string, number | null> = {};

  // Raw pipe: one psql COPY TO | psql COPY FROM per table, both tables at once (parallelism 2).
  const rawUrl = await freshTarget(DB.pgRaw);
  log(`copy-pg: raw psql COPY pipe${tag}`);
  let t0 = performance.now();
  await Promise.all(
    TABLES.map((t) =>
      sh(`psql -X -q -v ON_ERROR_STOP=1 -d '${PG_SRC}' -c 'COPY ${t} TO STDOUT' |
          psql -X -q -v ON_ERROR_STOP=1 -d '${rawUrl}' -c 'COPY ${t} FROM STDIN'`),
    ),
  );
  seconds.raw = secs(t0);
  rows.push({
    stage: 'copy-pg',
    contender: 'raw psql COPY pipe',
    seconds: seconds.raw,
    rows: total,
    bytes,
    extra,
  });
  await checkCounts(rawUrl, s, 'raw pipe');

  // pgcopydb: table data only into the same pre-created tables, 2 COPY jobs.
  const copydbUrl = await freshTarget(DB.pgCopydb);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-pgcopydb-'));
  // The capture stage's table is not part of the copy: the filters leave it out.
  writeFileSync(path.join(dir, 'filters.ini'), '[exclude-table]\npublic.hot\n');
  log(`copy-pg: pgcopydb copy table-data --table-jobs 2${tag}`);
  t0 = performance.now();
  try {
    await sh(
      `pgcopydb copy table-data --source '${PG_SRC}' --target '${copydbUrl}' --table-jobs 2 --dir '${dir}/w' --filters '${dir}/filters.ini'`,
    );
    seconds.pgcopydb = secs(t0);
    rows.push({
      stage: 'copy-pg',
      contender: 'pgcopydb table-data',
      seconds: seconds.pgcopydb,
      rows: total,
      bytes,
      extra,
    });
    await checkCounts(copydbUrl, s, 'pgcopydb');
  } catch (err) {
    seconds.pgcopydb = null;
    log(`copy-pg: pgcopydb failed, left out of this round: ${(err as Error).message.split('\n')[1] ?? ''}`);
    rows.push({ stage: 'copy-pg', contender: 'pgcopydb table-data (FAILED)', seconds: secs(t0), extra });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const cutUrl = await freshTarget(DB.pgCutover);
  const cut = await cutoverCopyPg(cutUrl);
  log(`copy-pg: cutover copyTable${tag}`);
  t0 = performance.now();
  await profiled(`copy-pg-cutover${rounds > 1 ? `-${round}` : ''}`, cut.run);
  seconds.cutover = secs(t0);
  rows.push({
    stage: 'copy-pg',
    contender: 'cutover copyTable',
    seconds: seconds.cutover,
    rows: total,
    bytes,
    extra: { ...extra, modes: cut.modes.join('; ') },
  });
  log(`copy-pg: cutover ${cut.modes.join('; ')}`);
  await checkCounts(cutUrl, s, 'cutover');

  if (withRowsPath) {
    // The same copier forced onto the row path (decode + re-encode every value), for comparison.
    const rowsUrl = await freshTarget(DB.pgCutover);
    const slow = await cutoverCopyPg(rowsUrl, false);
    log(`copy-pg: cutover copyTable, rows path${tag}`);
    t0 = performance.now();
    await slow.run();
    seconds.rowsPath = secs(t0);
    rows.push({
      stage: 'copy-pg',
      contender: 'cutover copyTable, rows path (passthrough off)',
      seconds: seconds.rowsPath,
      rows: total,
      bytes,
      extra,
    });
    await checkCounts(rowsUrl, s, 'cutover rows path');
  }
  return seconds;
}

async function copyPg(s: Sizes): Promise<void> {
  let bytes = 0;
  for (const t of TABLES) bytes += await pgRowBytes(PG_SRC, t);
  const results: Record<string, number | null>[] = [];
  for (let round = 1; round <= rounds; round++) results.push(await copyPgRound(s, bytes, round));

  // Ratios per round (each against the peer that ran next to it), then their median over rounds.
  const ratio = (peer: string, of = 'cutover'): number[] =>
    results.filter((r) => r[peer] && r[of]).map((r) => r[peer]! / r[of]!);
  const push = (name: string, values: number[], target: string, met: (v: number) => boolean | null) => {
    if (!values.length) return;
    const value = median(values);
    const each = values.length > 1 ? ` (median of ${values.map((v) => v.toFixed(3)).join(', ')})` : '';
    ratios.push({ stage: 'copy-pg', name: `${name}${each}`, value, target, met: met(value) });
  };
  push('cutover / raw pipe throughput', ratio('raw'), '>= 0.8', (v) => v >= 0.8);
  if (withRowsPath)
    push('cutover rows path / raw pipe throughput', ratio('raw', 'rowsPath'), '(reference)', () => null);
  push('cutover / pgcopydb throughput', ratio('pgcopydb'), '(none)', () => null);
}

async function copyMysql(s: Sizes, myUrl: string): Promise<void> {
  const total = s.orders + s.blobs;
  const cutUrl = await freshTarget(DB.myCutover);
  log('copy-mysql: cutover copyTable');
  let t0 = performance.now();
  await profiled('copy-mysql-cutover', () => cutoverCopyMysql(myUrl, cutUrl));
  const cutSeconds = secs(t0);
  await checkCounts(cutUrl, s, 'cutover mysql');
  let bytes = 0;
  for (const t of TABLES) bytes += await pgRowBytes(cutUrl, t);
  rows.push({ stage: 'copy-mysql', contender: 'cutover copyTable', seconds: cutSeconds, rows: total, bytes });

  // pgloader, data only, into the same pre-created tables: 2 workers, like cutover's 2 slices.
  const pglUrl = await freshTarget(DB.myPgloader);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-pgloader-'));
  const load = path.join(dir, 'bench.load');
  const my = new URL(myUrl);
  writeFileSync(
    load,
    `LOAD DATABASE
  FROM mysql://${my.username || 'root'}@${my.hostname}:${my.port || 3306}/${SOURCE_DB}
  INTO ${pglUrl}
  WITH data only, workers = 2, concurrency = 1, batch rows = 25000, prefetch rows = 25000
  SET MySQL PARAMETERS net_read_timeout = '600', net_write_timeout = '600'
  INCLUDING ONLY TABLE NAMES MATCHING 'orders', 'blobs'
  ALTER SCHEMA '${SOURCE_DB}' RENAME TO 'public';
`,
  );
  log('copy-mysql: pgloader (data only)');
  t0 = performance.now();
  await sh(`pgloader -D '${dir}/work' '${load}'`);
  rows.push({
    stage: 'copy-mysql',
    contender: 'pgloader (data only)',
    seconds: secs(t0),
    rows: total,
    bytes,
  });
  rmSync(dir, { recursive: true, force: true });
  await checkCounts(pglUrl, s, 'pgloader');
  const r =
    rows.find((x) => x.stage === 'copy-mysql' && x.contender.startsWith('pgloader'))!.seconds / cutSeconds;
  ratios.push({
    stage: 'copy-mysql',
    name: 'cutover / pgloader throughput',
    value: r,
    target: '>= 1.5',
    met: r >= 1.5,
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

/** Stream a whole table through the driver and discard it; returns rows seen. */
async function scanPg(url: string, table: string, columns: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    let n = 0;
    // Array rows, as the copier reads them (QueryConfig's typing lacks rowMode).
    const config = { text: `SELECT ${columns.join(', ')} FROM ${table}`, rowMode: 'array' };
    const q = new pg.Query(config as pg.QueryConfig);
    await new Promise<void>((resolve, reject) => {
      q.on('row', () => n++);
      q.on('end', () => resolve());
      q.on('error', reject);
      void c.query(q);
    });
    return n;
  } finally {
    await c.end();
  }
}

async function scanMysql(url: string, table: string, columns: string[]): Promise<number> {
  const c = mysqlCb.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      let n = 0;
      c.query({ sql: `SELECT ${columns.join(', ')} FROM \`${table}\``, rowsAsArray: true })
        .on('result', () => n++)
        .on('error', reject)
        .on('end', () => resolve(n));
    });
  } finally {
    c.end();
  }
}

async function validate(s: Sizes, myUrl: string): Promise<void> {
  const pgCut = dbUrl(PG_ADMIN, DB.pgCutover);
  const myCut = dbUrl(PG_ADMIN, DB.myCutover);
  // Validation needs targets: reuse the copy stages' (cutover's) targets, or make them untimed.
  if (!(await databaseExists(DB.pgCutover)) || (await pgCount(pgCut, 'orders')) !== s.orders) {
    log('validate: preparing the PostgreSQL target (untimed)');
    await (await cutoverCopyPg(await freshTarget(DB.pgCutover))).run();
  }
  if (!(await databaseExists(DB.myCutover)) || (await pgCount(myCut, 'orders')) !== s.orders) {
    log('validate: preparing the MySQL -> PostgreSQL target (untimed)');
    await cutoverCopyMysql(myUrl, await freshTarget(DB.myCutover));
  }
  const pgModel = async (url: string) => {
    const e = createPostgresEngine(url);
    try {
      return new Map((await e.introspect({ schema: 'public' })).tables.map((t) => [t.name, t]));
    } finally {
      await e.close();
    }
  };
  const [pgSrcModel, pgCutModel, myCutModel, mySrcModel] = await Promise.all([
    pgModel(PG_SRC),
    pgModel(pgCut),
    pgModel(myCut),
    mysqlModels(myUrl),
  ]);
  const pairs = [
    {
      name: 'pg->pg',
      from: 'postgres' as const,
      srcUrl: PG_SRC,
      srcSchema: 'public',
      srcModel: pgSrcModel,
      dstUrl: pgCut,
      dstModel: pgCutModel,
    },
    {
      name: 'mysql->pg',
      from: 'mysql' as const,
      srcUrl: myUrl,
      srcSchema: SOURCE_DB,
      srcModel: mySrcModel,
      dstUrl: myCut,
      dstModel: myCutModel,
    },
  ];
  for (const p of pairs) {
    const total = s.orders + s.blobs;
    // Plain scans: both sides of a table at once, table after table, same drivers as cutover.
    log(`validate ${p.name}: full scans`);
    let t0 = performance.now();
    for (const t of TABLES) {
      const [a, b] = await Promise.all([
        p.from === 'postgres' ? scanPg(p.srcUrl, t, COLUMNS[t]!) : scanMysql(p.srcUrl, t, COLUMNS[t]!),
        scanPg(p.dstUrl, t, COLUMNS[t]!),
      ]);
      if (a !== s[t] || b !== s[t]) throw new Error(`scan ${p.name} ${t}: ${a} / ${b} rows`);
    }
    const scanSeconds = secs(t0);
    rows.push({
      stage: 'validate',
      contender: `${p.name} full scans (both sides)`,
      seconds: scanSeconds,
      rows: total,
    });

    log(`validate ${p.name}: validateTable`);
    const source = openRangeReader(p.from, p.srcUrl);
    const target = openRangeReader('postgres', p.dstUrl);
    t0 = performance.now();
    try {
      await profiled(`validate-${p.name.replace('>', '')}`, async () => {
        for (const t of TABLES) {
          const sm = p.srcModel.get(t)!;
          const tm = p.dstModel.get(t)!;
          const columns = canonicalColumns(p.from, 'postgres', sm, tm);
          const keys = keyTranslation(p.from, 'postgres', sm, ['id'], { id: 'bigint' }, tm);
          const report = await validateTable({
            source: { reader: source, table: { schema: p.srcSchema, table: t } },
            target: { reader: target, table: { schema: 'public', table: t } },
            columns,
            key: ['id'],
            toTargetKey: keys.toTargetKey,
            toSourceKey: keys.toSourceKey,
            recheckAttempts: 0,
          });
          if (report.status !== 'match' || report.matching !== s[t])
            throw new Error(`validate ${p.name} ${t}: ${JSON.stringify(report).slice(0, 2000)}`);
        }
      });
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
    const valSeconds = secs(t0);
    rows.push({ stage: 'validate', contender: `${p.name} validateTable`, seconds: valSeconds, rows: total });
    const r = valSeconds / scanSeconds;
    ratios.push({
      stage: 'validate',
      name: `${p.name} validate time / scan time`,
      value: r,
      target: '<= 1.5',
      met: r <= 1.5,
    });
  }
}

/**
 * With --profile, a V8 CPU profile of one cutover contender's timed section (in-process, via the
 * inspector) goes to .cutover/bench/profiles/<name>.cpuprofile; summarise with profile-top.ts.
 */
async function profiled<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (!profile) return f();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await f();
  } finally {
    const { profile: p } = await session.post('Profiler.stop');
    const dir = path.join(process.cwd(), '.cutover', 'bench', 'profiles');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(p));
    session.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function capture(s: Sizes): Promise<void> {
  const rate = 2000;
  // The target starts equal to the source's hot table.
  const dstUrl = await freshPgDatabase(DB.capture);
  await pgExec(dstUrl, [PG_HOT_DDL]);
  await pgExec(PG_SRC, [
    'TRUNCATE hot',
    `INSERT INTO hot SELECT g, g, md5(g::text), timestamp '2022-01-01' + g * interval '1 second' FROM generate_series(1::bigint, ${s.hot}) g`,
  ]);
  await sh(
    `psql -X -q -d '${PG_SRC}' -c 'COPY hot TO STDOUT' | psql -X -q -d '${dstUrl}' -c 'COPY hot FROM STDIN'`,
  );
  const cap = openTriggerCapture('postgres', PG_SRC, 'public');
  const source: RowsEngine = openRowsEngine('postgres', PG_SRC);
  const target: RowsEngine = openRowsEngine('postgres', dstUrl);
  try {
    await cap.remove();
    await cap.install([{ table: 'hot', key: ['id'] }]);
    const options: ApplierOptions = {
      capture: cap,
      source,
      target,
      sourceSchema: 'public',
      targetSchema: 'public',
      tables: [{ table: 'hot', columns: ['id', 'v', 'note', 'at'], key: ['id'] }],
      batchSize: 1000,
    };
    let position: string | null = null;
    let applied = 0;
    let appliedDuringLoad = 0;
    let loadRunning = true;
    const lags: number[] = [];
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling || !loadRunning) return;
      sampling = true;
      cap
        .lag(position)
        .then((l) => lags.push(l.secondsBehind))
        .finally(() => (sampling = false));
    }, 100);
    log(`capture: ${rate} writes/s for ${captureSeconds} s with the applier running`);
    const loadStarted = performance.now();
    const load = sh(
      `'${path.join(process.cwd(), 'node_modules/.bin/tsx')}' scripts/bench/load.ts --url '${PG_SRC}' --rate ${rate} --seconds ${captureSeconds} --rows ${s.hot}`,
    ).then((out) => {
      loadRunning = false;
      appliedDuringLoad = applied;
      return JSON.parse(out.trim().split('\n').pop()!) as { done: number; errors: number; seconds: number };
    });
    let loadResult: { done: number; errors: number; seconds: number } | null = null;
    void load.then((r) => (loadResult = r));
    let loadSeconds = 0;
    let drainSeconds = 0;
    for (;;) {
      const r = await applyBatch(options, position);
      position = r.position;
      applied += r.changes;
      if (loadResult && !loadSeconds) loadSeconds = secs(loadStarted);
      if (r.changes === 0) {
        if (loadResult) {
          drainSeconds = secs(loadStarted) - loadSeconds;
          break;
        }
        await sleep(10);
      }
    }
    clearInterval(sampler);
    const lr = await load;
    // Converged: the target equals the source.
    const [a, b] = await Promise.all([
      sh(`psql -X -At -d '${PG_SRC}' -c "SELECT md5(string_agg(h::text, ',' ORDER BY id)) FROM hot h"`),
      sh(`psql -X -At -d '${dstUrl}' -c "SELECT md5(string_agg(h::text, ',' ORDER BY id)) FROM hot h"`),
    ]);
    if (a !== b) throw new Error('capture: the target did not converge to the source');
    lags.sort((x, y) => x - y);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    rows.push({
      stage: 'capture',
      contender: `load generator (${rate}/s target)`,
      seconds: lr.seconds,
      rows: lr.done,
      extra: { writesPerSecond: lr.done / lr.seconds, errors: lr.errors },
    });
    rows.push({
      stage: 'capture',
      contender: 'trigger capture + applier',
      seconds: loadSeconds + drainSeconds,
      rows: applied,
      extra: {
        appliedPerSecondDuringLoad: appliedDuringLoad / lr.seconds,
        lagP50: p50,
        lagP99: p99,
        lagMax: lags[lags.length - 1] ?? NaN,
        lagSamples: lags.length,
        drainSecondsAfterLoad: drainSeconds,
      },
    });
    ratios.push({
      stage: 'capture',
      name: 'applied changes/s during load / writes/s',
      value: appliedDuringLoad / lr.done,
      target: '~1',
      met: appliedDuringLoad / lr.done > 0.95,
    });
    ratios.push({ stage: 'capture', name: 'lag p99 (s)', value: p99, target: '< 1', met: p99 < 1 });
  } finally {
    await cap.remove().catch(() => undefined);
    await Promise.all([cap.close(), source.close(), target.close()]);
  }
}

function printTable(): void {
  const fmt = (n: number | undefined, d = 1) => (n === undefined || !isFinite(n) ? '' : n.toFixed(d));
  console.log('\n| stage | contender | wall s | rows | rows/s | MB/s | notes |');
  console.log('|---|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const extra = r.extra
      ? Object.entries(r.extra)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v, 3) : v}`)
          .join(' ')
      : '';
    console.log(
      `| ${r.stage} | ${r.contender} | ${fmt(r.seconds, 2)} | ${r.rows ?? ''} | ${r.rows ? fmt(r.rows / r.seconds, 0) : ''} | ${
        r.bytes ? fmt(r.bytes / 1e6 / r.seconds, 1) : ''
      } | ${extra} |`,
    );
  }
  console.log('\n| stage | ratio | value | target | met |');
  console.log('|---|---|---:|---|---|');
  for (const r of ratios)
    console.log(
      `| ${r.stage} | ${r.name} | ${fmt(r.value, 3)} | ${r.target} | ${r.met === null ? 'n/a' : r.met ? 'yes' : 'NO'} |`,
    );
}

async function main(): Promise<void> {
  const s = sizes(scale);
  const stages = only ? [only] : STAGES;
  log(`scale ${scale}: ${JSON.stringify(s)}; stages ${stages.join(', ')}`);
  const t0 = performance.now();
  const [, myUrl] = await Promise.all([generatePostgres(s), generateMysql(s)]);
  const generateSeconds = secs(t0);
  log(`generated in ${generateSeconds.toFixed(1)} s`);
  for (const stage of stages) {
    if (stage === 'copy-pg') await copyPg(s);
    if (stage === 'copy-mysql') await copyMysql(s, myUrl);
    if (stage === 'validate') await validate(s, myUrl);
    if (stage === 'capture') await capture(s);
  }
  printTable();
  const dir = path.join(process.cwd(), '.cutover', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        scale,
        sizes: s,
        stages,
        generateSeconds,
        machine: {
          cpus: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          memGiB: os.totalmem() / 2 ** 30,
          node: process.version,
        },
        rows,
        ratios,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults: ${path.relative(process.cwd(), file)} (total ${secs(t0).toFixed(0)} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
