// `npm run bench [-- --only copy-pg|copy-mysql|validate|capture] [--scale 0.05]`
//   copy-pg options: [--rounds N] (contenders in turn N times, median ratios) [--with-rows-path]
//   capture options: [--capture-seconds 60] [--follow-seconds 120] [--capture-sources postgres,mysql]
//                    [--with-harness-loop] (also the old applyBatch loop, PG -> PG, for comparison)
//                    [--poll-ms N] (diagnosis: the activity's idle poll, which the workflow leaves at 500)
// Every figure is a ratio against a peer run side by side, in the same run, on the same generated
// data (scripts/bench/data.ts). See docs/BENCHMARKS.md for what each stage measures and why.
// Results: a table on stdout and .cutover/bench/bench-<timestamp>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import mysqlCb from 'mysql2';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  catchUp,
  installCapture,
  removeCapture,
  type CatchUpActivityResult,
  type CatchUpHeartbeat,
  type CatchUpInput,
} from '../../src/activities/capture';
import { redact } from '../../src/connections';
import { prepareTargetSchema } from '../../src/activities/schema';
import type { EndpointRef, TableMove } from '../../src/activities/tables';
import { applyBatch, type ApplierOptions } from '../../src/dataplane/capture/applier';
import { openTriggerCapture } from '../../src/dataplane/capture/capture-engine';
import { copyTable } from '../../src/dataplane/copy/copier';
import { openRowsEngine } from '../../src/dataplane/copy/rows-engine';
import { canonicalColumns } from '../../src/dataplane/validate/canonical';
import { keyTranslation } from '../../src/dataplane/validate/keys';
import { openRangeReader } from '../../src/dataplane/validate/readers';
import { validateTable } from '../../src/dataplane/validate/validator';
import { keyTranslator, rowTranslator, type ColumnConversion } from '../../src/dataplane/values';
import { openEngine } from '../../src/engines';
import type { EngineKind, TableModel } from '../../src/engines/model';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { migrationSpecSchema } from '../../src/spec/migration-spec';
import {
  COLUMNS,
  dbUrl,
  freshPgDatabase,
  generateMysql,
  generatePostgres,
  MYSQL_TO_PG_TYPES,
  PG_ADMIN,
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
      // Commands name database URLs (psql, pgcopydb): their passwords never reach the error text.
      code === 0 ? resolve(out) : reject(new Error(redact(`${command}\nexit ${code}\n${err.slice(-3000)}`))),
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
  captureMy: 'cutover_bench_capture_my',
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

/** The spec's defaults (followSeconds, maxLagSeconds, heartbeat timeout), as a migration gets them. */
const SPEC_DEFAULTS = migrationSpecSchema.parse({
  name: 'bench',
  source: { engine: 'postgres', connection: 'BENCH_CAP_SRC' },
  target: { engine: 'postgres', connection: 'BENCH_CAP_DST' },
});
/** capture: the catchUp slices' length (default: the spec's runtime.followSeconds). */
const followSeconds = Number(arg('follow-seconds') ?? String(SPEC_DEFAULTS.runtime.followSeconds));
/** capture: also run the pre-activity harness loop (applyBatch + 10 ms sleep), PG -> PG, for comparison. */
const withHarnessLoop = process.argv.includes('--with-harness-loop');
/**
 * capture, diagnosis only: the activity's idle poll (CatchUpInput.pollMs). The workflow never sets it
 * (default: 25 ms after an empty batch, backing off to 500 ms); a run with it is labelled as not the
 * shipped path.
 */
const pollMs = arg('poll-ms') === undefined ? undefined : Number(arg('poll-ms'));
/** capture: which sources (default both). */
const captureSources = (arg('capture-sources') ?? 'postgres,mysql').split(',') as EngineKind[];

/** What a worker gives a catchUp activity: the spec's heartbeat timeout (its keep-alive period). */
const activityInfo = () =>
  new MockActivityEnvironment({
    activityType: 'catchUp',
    heartbeatTimeoutMs: SPEC_DEFAULTS.runtime.heartbeatTimeoutSeconds * 1000,
  });

/**
 * Something applying captured changes while the load runs: where it stands (for the lag sampler),
 * how many changes it applied, and when it last saw nothing behind it.
 */
interface Follower {
  position(): string | null;
  applied(): number;
  /** performance.now() of the last time the applier itself saw nothing left to apply. */
  caughtUpAt(): number;
  stop(): Promise<void>;
  extra(): Record<string, number>;
}

/**
 * The shipped path: the `catchUp` activity as the workflow's `follow` calls it while awaiting approval
 * (src/workflows/blue-green.ts): slices of `followSeconds` (maxSeconds), never "caught up"
 * (maxRowsBehind -1), retainAfter = the position the last validation started from, each slice from
 * the previous one's position, default batch size and idle poll (25 ms backing off to 500 ms). Its
 * position and running totals are read from its heartbeats (what the workflow's status shows).
 * stop() cancels the running slice, as the workflow does once its condition holds. Between slices
 * there is no workflow task round trip here (a real worker adds one, tens of ms).
 */
function followWithCatchUp(
  base: Pick<CatchUpInput, 'source' | 'target' | 'tables'>,
  from: string,
  retainAfter: string,
): Follower {
  let position = from;
  let live: CatchUpHeartbeat | null = null;
  let applied = 0;
  let batches = 0;
  let slices = 0;
  let heartbeats = 0;
  let emptyBatches = 0;
  let caughtUpAt = -Infinity;
  let lastHeartbeat = 0;
  const cycles: number[] = [];
  let stopping = false;
  let env: MockActivityEnvironment | null = null;
  const done = (async () => {
    while (!stopping) {
      const e = activityInfo();
      env = e;
      e.on('heartbeat', (d: Partial<CatchUpHeartbeat> | undefined) => {
        // The adapter's keep-alive re-sends the last details every 2 s: only count new ones.
        if (typeof d?.position !== 'string' || d === live) return;
        const now = performance.now();
        if (live && lastHeartbeat) cycles.push(now - lastHeartbeat);
        // A batch that read nothing: the activity sleeps (25 ms, backing off to pollMs) before reading again.
        if (d.changes === (live?.changes ?? 0)) emptyBatches++;
        lastHeartbeat = now;
        live = d as CatchUpHeartbeat;
        heartbeats++;
        if (live.lag.rowsBehind === 0) caughtUpAt = now;
      });
      try {
        const r = (await e.run(catchUp, {
          ...base,
          position,
          retainAfter,
          maxRowsBehind: -1,
          maxSeconds: followSeconds,
          ...(pollMs === undefined ? {} : { pollMs }),
        } satisfies CatchUpInput)) as CatchUpActivityResult;
        position = r.position;
        applied += r.changes;
        batches += r.batches;
        slices++;
        live = null;
        lastHeartbeat = 0;
      } catch (err) {
        if (!stopping) throw err;
      }
    }
  })();
  return {
    position: () => live?.position ?? position,
    applied: () => applied + (live?.changes ?? 0),
    caughtUpAt: () => caughtUpAt,
    stop: async () => {
      stopping = true;
      env?.cancel();
      await done;
    },
    extra: () => {
      const sorted = [...cycles].sort((a, b) => a - b);
      return {
        slicesCompleted: slices,
        batches: batches + (live?.batches ?? 0),
        heartbeats,
        emptyBatches,
        batchCycleMsP50: percentile(sorted, 50),
        batchCycleMsP99: percentile(sorted, 99),
      };
    },
  };
}

/**
 * The harness loop the capture stage measured before it ran the activity (kept for comparison,
 * --with-harness-loop): applyBatch in a loop, 10 ms sleep when a batch is empty, no lag() per
 * batch, no heartbeat, no restarts, no retention.
 */
function followWithHarnessLoop(options: ApplierOptions, from: string): Follower {
  let position: string | null = from;
  let applied = 0;
  let caughtUpAt = -Infinity;
  let stopping = false;
  const done = (async () => {
    while (!stopping) {
      const r = await applyBatch(options, position);
      position = r.position;
      applied += r.changes;
      if (r.changes === 0) {
        caughtUpAt = performance.now();
        await sleep(10);
      }
    }
  })();
  return {
    position: () => position,
    applied: () => applied,
    caughtUpAt: () => caughtUpAt,
    stop: async () => {
      stopping = true;
      await done.finally(() => Promise.all([options.source.close(), options.target.close()]));
    },
    extra: () => ({}),
  };
}

async function mysqlExec(url: string, statements: string[]): Promise<unknown[]> {
  const c = await mysql.createConnection({ uri: url });
  try {
    const out: unknown[] = [];
    for (const st of statements) out.push((await c.query(st))[0]);
    return out;
  } finally {
    await c.end();
  }
}

/** `hot`'s rows 1..n on PostgreSQL (the MySQL source gets the same values). */
const pgFillHot = (n: number) =>
  `INSERT INTO hot (id, v, note, at) SELECT g, g, md5(g::text), timestamp '2022-01-01' + g * interval '1 second' FROM generate_series(1::bigint, ${n}) g`;

/** md5 over every row of `hot` in key order, the same text on both engines. */
async function hotDigest(kind: EngineKind, url: string): Promise<string> {
  if (kind === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ m: string }>(
        `SELECT md5(string_agg(concat_ws('|', id, v, note, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')), E'\\n' ORDER BY id)) AS m FROM hot`,
      );
      return rows[0]!.m;
    } finally {
      await c.end();
    }
  }
  const [, rowsOut] = await mysqlExec(url, [
    'SET SESSION group_concat_max_len = 1073741824',
    `SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, v, note, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f')) ORDER BY id SEPARATOR '\\n')) AS m FROM hot`,
  ]);
  return String((rowsOut as { m: string }[])[0]!.m);
}

/**
 * One capture run at `rate` source writes/s for captureSeconds: a fresh `hot` table on the source
 * (the same rows on either engine), cutover's own target table (prepareTargetSchema, as a migration
 * creates it) filled with the same rows (untimed: the copy), the capture installed by the
 * installCapture activity, one catchUp as the workflow's catching-up phase runs it (its position is
 * where the "validation" started), then load.ts in its own process while the follower applies.
 * Lag is sampled every 100 ms from the source's changelog against the follower's last published
 * position; after the load, the drain lasts until the applier itself sees nothing behind.
 */
async function captureRun(
  s: Sizes,
  kind: EngineKind,
  myUrl: string,
  applier: 'activity' | 'harness',
): Promise<void> {
  const rate = 2000;
  const side = kind === 'postgres' ? 'PG' : 'MySQL';
  const srcUrl = kind === 'postgres' ? PG_SRC : myUrl;
  const srcSchema = kind === 'postgres' ? 'public' : SOURCE_DB;
  const dstUrl = await freshPgDatabase(kind === 'postgres' ? DB.capture : DB.captureMy);
  process.env.CUTOVER_DB_BENCH_CAP_SRC = srcUrl;
  process.env.CUTOVER_DB_BENCH_CAP_DST = dstUrl;
  const source: EndpointRef = { engine: kind, connection: 'BENCH_CAP_SRC', schema: srcSchema };
  const target: EndpointRef = { engine: 'postgres', connection: 'BENCH_CAP_DST', schema: 'public' };
  const run = <A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> =>
    activityInfo().run(fn, input) as Promise<R>;

  await run(removeCapture, { source });
  if (kind === 'postgres') await pgExec(srcUrl, ['TRUNCATE hot', pgFillHot(s.hot), 'VACUUM ANALYZE hot']);
  else
    await mysqlExec(srcUrl, [
      'DROP TABLE IF EXISTS hot',
      'CREATE TABLE hot (id bigint PRIMARY KEY, v int, note text, at datetime(6)) ENGINE=InnoDB',
      `INSERT INTO hot SELECT seq, seq, MD5(seq), TIMESTAMPADD(SECOND, seq, '2022-01-01 00:00:00') FROM seq_1_to_${s.hot}`,
      'ANALYZE TABLE hot',
    ]);
  // The move as the workflow plans it: the source's model and the DDL plan's translation of `hot`.
  const introspecting = openEngine(kind, srcUrl);
  const model = await introspecting.introspect({ schema: srcSchema }).finally(() => introspecting.close());
  const prepared = await run(prepareTargetSchema, {
    target,
    phase: 'tables' as const,
    translate: { source: model, tables: ['hot'] },
  });
  const move: TableMove = {
    table: model.tables.find((t) => t.name === 'hot')!,
    mapping: prepared.plan.tables.find((t) => t.source === 'hot')!,
  };
  await pgExec(dstUrl, [pgFillHot(s.hot), 'VACUUM ANALYZE hot']);
  if ((await hotDigest(kind, srcUrl)) !== (await hotDigest('postgres', dstUrl)))
    throw new Error(`capture ${side}: the target does not start equal to the source`);

  const cap = openTriggerCapture(kind, srcUrl, srcSchema);
  let follower: Follower | null = null;
  try {
    await run(installCapture, { source, tables: [{ table: 'hot', key: ['id'] }] });
    const base = { source, target, tables: [move] };
    // The catching-up phase's call; its position is where the validation starts (validatedFrom).
    const caught = await run(catchUp, {
      ...base,
      position: null,
      maxRowsBehind: Number.MAX_SAFE_INTEGER,
      maxSecondsBehind: SPEC_DEFAULTS.cutover.maxLagSeconds,
    });
    const validatedFrom = caught.position;
    const contender =
      applier === 'activity'
        ? `${side} -> PG: catchUp activity (${followSeconds} s slices, retainAfter${
            pollMs === undefined ? '' : `, pollMs ${pollMs}: NOT the workflow's default`
          })`
        : `${side} -> PG: harness applyBatch loop (old method)`;
    log(`capture ${side} -> PG, ${applier}: ${rate} writes/s for ${captureSeconds} s`);
    const lags: number[] = [];
    /** How long each sampled lag() took: the query the activity also runs after every batch. */
    const lagQueryMs: number[] = [];
    let loadRunning = true;
    let sampling = false;
    const loadStarted = performance.now();
    const f =
      applier === 'activity'
        ? followWithCatchUp(base, validatedFrom, validatedFrom)
        : followWithHarnessLoop(
            {
              capture: cap,
              source: openRowsEngine(kind, srcUrl),
              target: openRowsEngine('postgres', dstUrl),
              sourceSchema: srcSchema,
              targetSchema: 'public',
              tables: [{ table: 'hot', columns: ['id', 'v', 'note', 'at'], key: ['id'] }],
              batchSize: 1000,
            },
            validatedFrom,
          );
    follower = f;
    const sampler = setInterval(() => {
      if (sampling || !loadRunning) return;
      sampling = true;
      const asked = performance.now();
      cap
        .lag(f.position())
        .then((l) => {
          lags.push(l.secondsBehind);
          lagQueryMs.push(performance.now() - asked);
        })
        .finally(() => (sampling = false));
    }, 100);
    let appliedDuringLoad = 0;
    let loadEnded = 0;
    const lr = await sh(
      `'${path.join(process.cwd(), 'node_modules/.bin/tsx')}' scripts/bench/load.ts --rate ${rate} --seconds ${captureSeconds} --rows ${s.hot}`,
      { BENCH_LOAD_URL: srcUrl },
    ).then((out) => {
      loadRunning = false;
      loadEnded = performance.now();
      appliedDuringLoad = f.applied();
      return JSON.parse(out.trim().split('\n').pop()!) as { done: number; errors: number; seconds: number };
    });
    clearInterval(sampler);
    const loadSeconds = (loadEnded - loadStarted) / 1000;
    // Drained: the applier itself saw nothing behind it after the load stopped.
    while (f.caughtUpAt() <= loadEnded) {
      if (performance.now() - loadEnded > 300_000) throw new Error(`capture ${side}: no drain within 300 s`);
      await sleep(10);
    }
    const drainSeconds = (f.caughtUpAt() - loadEnded) / 1000;
    await f.stop();
    follower = null;
    // Changes kept in the changelog since the validation's start (retainAfter): all of them, for the activity.
    const retained = (await cap.lag(validatedFrom)).rowsBehind;
    const applied = f.applied();
    const [a, b] = await Promise.all([hotDigest(kind, srcUrl), hotDigest('postgres', dstUrl)]);
    if (a !== b) throw new Error(`capture ${side}: the target did not converge to the source`);
    lags.sort((x, y) => x - y);
    lagQueryMs.sort((x, y) => x - y);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    rows.push({
      stage: 'capture',
      contender: `${side} load generator (${rate}/s target)`,
      seconds: lr.seconds,
      rows: lr.done,
      extra: { writesPerSecond: lr.done / lr.seconds, errors: lr.errors },
    });
    rows.push({
      stage: 'capture',
      contender,
      seconds: loadSeconds + drainSeconds,
      rows: applied,
      extra: {
        appliedPerSecondDuringLoad: appliedDuringLoad / lr.seconds,
        lagP50: p50,
        lagP99: p99,
        lagMax: lags[lags.length - 1] ?? NaN,
        lagSamples: lags.length,
        drainSecondsAfterLoad: drainSeconds,
        lagQueryMsP50: percentile(lagQueryMs, 50),
        lagQueryMsP99: percentile(lagQueryMs, 99),
        changelogRowsRetained: retained,
        ...f.extra(),
      },
    });
    ratios.push({
      stage: 'capture',
      name: `${contender}: applied changes/s during load / writes/s`,
      value: appliedDuringLoad / lr.done,
      target: '~1',
      met: appliedDuringLoad / lr.done > 0.95,
    });
    ratios.push({
      stage: 'capture',
      name: `${contender}: lag p99 (s)`,
      value: p99,
      target: '< 1',
      met: p99 < 1,
    });
  } finally {
    await (follower as Follower | null)?.stop().catch(() => undefined);
    await run(removeCapture, { source }).catch(() => undefined);
    await cap.close();
  }
}

async function capture(s: Sizes, myUrl: string): Promise<void> {
  for (const kind of captureSources) await captureRun(s, kind, myUrl, 'activity');
  if (withHarnessLoop) await captureRun(s, 'postgres', myUrl, 'harness');
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
    if (stage === 'capture') await capture(s, myUrl);
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
