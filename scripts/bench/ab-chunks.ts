// A/B of the copier's chunk tuning on the PG -> PG passthrough path, over the bench data
// (`npx tsx scripts/bench/data.ts` first, or any `npm run bench -- --only copy-pg`):
//   npx tsx scripts/bench/ab-chunks.ts [--rounds 2] [--target-ms 2000] [--max 200000]
// Alternates the default tuner (500 ms, max 50 000 rows) with the given one on fresh targets and
// prints each copy's wall time and chunk count: per-chunk costs (commit, range delete, probe, the gap
// between two chunks) show up as the difference.
import { copyTable } from '../../src/dataplane/copy/copier';
import { openRowsEngine } from '../../src/dataplane/copy/rows-engine';
import type { ChunkTunerOptions } from '../../src/dataplane/copy/chunk-tuner';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { COLUMNS, dbUrl, freshPgDatabase, PG_ADMIN, PG_TABLES_DDL, pgExec, SOURCE_DB, TABLES } from './data';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('rounds', '2'));
const tuned: ChunkTunerOptions = {
  targetMs: Number(arg('target-ms', '2000')),
  max: Number(arg('max', '200000')),
};
const SRC = dbUrl(PG_ADMIN, SOURCE_DB);

async function types(url: string): Promise<Map<string, string[]>> {
  const engine = createPostgresEngine(url);
  try {
    const model = await engine.introspect({ schema: 'public' });
    return new Map(
      TABLES.map((t) => [
        t,
        COLUMNS[t]!.map(
          (c) => model.tables.find((m) => m.name === t)!.columns.find((m) => m.name === c)!.nativeType,
        ),
      ]),
    );
  } finally {
    await engine.close();
  }
}

async function once(label: string, chunk: ChunkTunerOptions | undefined): Promise<void> {
  const url = await freshPgDatabase('cutover_bench_ab');
  await pgExec(url, PG_TABLES_DDL);
  const [s, t] = await Promise.all([types(SRC), types(url)]);
  const source = openRowsEngine('postgres', SRC);
  const target = openRowsEngine('postgres', url);
  const t0 = performance.now();
  let chunks = 0;
  try {
    for (const table of TABLES) {
      const r = await copyTable({
        source,
        target,
        sourceSchema: 'public',
        sourceTable: table,
        targetSchema: 'public',
        targetTable: table,
        columns: COLUMNS[table]!,
        key: ['id'],
        columnTypes: { source: s.get(table)!, target: t.get(table)! },
        concurrency: 2,
        chunk,
      });
      if (r.mode !== 'passthrough') throw new Error(`${table}: ${r.modeReason}`);
      chunks += r.chunks;
    }
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s, ${chunks} chunks`);
}

async function main(): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await once('default (500 ms, max 50 000)', undefined);
    await once(`tuned (${tuned.targetMs} ms, max ${tuned.max})`, tuned);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
