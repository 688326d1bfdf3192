// PostgreSQL -> PostgreSQL where the target database has another default collation than the
// source (created from template0 with LC_COLLATE/LC_CTYPE 'C', or with the ICU provider): the
// planner reports it with both locales named; equal defaults give no finding. And the move stays
// exact across such a pair: text keys that order differently on the two sides are copied and
// validated by key set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  applySchema,
  copyTables,
  prepareSchema,
  validateTables,
  type PipelineJob,
} from '../../src/dataplane/pipeline';
import { inspectSide } from '../../src/dataplane/planner/inspect';
import { liveFindings } from '../../src/dataplane/planner/verdict';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import type { SideState } from '../../src/spec/plan-report';
import {
  createPostgresDatabase,
  execPostgres,
  PG_ADMIN_URL,
  uniqueName,
  type TestDatabase,
} from '../helpers/databases';

/** A database created from template0 with the given locale clause. */
async function createDatabaseWith(clause: string): Promise<TestDatabase> {
  const name = uniqueName('cutover_coll');
  await execPostgres(PG_ADMIN_URL, [`CREATE DATABASE "${name}" TEMPLATE template0 ${clause}`]);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => execPostgres(PG_ADMIN_URL, [`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]),
  };
}

async function icuAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    const r = await c.query(`SELECT 1 FROM pg_collation WHERE collprovider = 'i' LIMIT 1`);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

async function side(url: string): Promise<SideState> {
  const engine = createPostgresEngine(url);
  try {
    return (await inspectSide(engine, { exactCounts: false, observeSeconds: 0, longTransactionSeconds: 60 }))
      .live;
  } finally {
    await engine.close();
  }
}

const codes = (s: SideState, t: SideState) => liveFindings(s, t, 60).filter((f) => /COLLATION/.test(f.code));

let source: TestDatabase;
let sameDefault: TestDatabase;
let cCollate: TestDatabase;
let icu: TestDatabase | null = null;

before(async () => {
  source = await createPostgresDatabase('cutover_coll');
  sameDefault = await createPostgresDatabase('cutover_coll');
  // 'C' differs from the cluster default here (C.UTF-8), unless the default is 'C' itself.
  cCollate = await createDatabaseWith(`LC_COLLATE 'C' LC_CTYPE 'C'`);
  if (await icuAvailable())
    icu = await createDatabaseWith(`LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C'`);
});

after(async () => {
  await Promise.allSettled([source, sameDefault, cCollate, icu].map((d) => d?.drop()));
});

describe('planner: default collations of source and target', () => {
  test('the same default: no finding', async () => {
    assert.deepEqual(codes(await side(source.url), await side(sameDefault.url)), []);
  });

  test("a target with LC_COLLATE 'C': a finding naming both locales", async (t) => {
    const s = await side(source.url);
    if (s.settings.database_collate === 'C') return t.skip('the cluster default is already C');
    const found = codes(s, await side(cCollate.url));
    assert.deepEqual(
      found.map((f) => [f.code, f.severity]),
      [['DEFAULT_COLLATION_DIFFERS', 'medium']],
    );
    assert.ok(found[0]!.finding.includes(`libc ${s.settings.database_collate}`), found[0]!.finding);
    assert.ok(found[0]!.finding.includes('libc C on the target'), found[0]!.finding);
    assert.match(found[0]!.finding, /key set/);
    assert.match(found[0]!.mitigation, /LC_COLLATE '/);
  });

  test('an ICU target: a finding naming the ICU locale', async (t) => {
    if (!icu) return t.skip('this server has no ICU');
    const found = codes(await side(source.url), await side(icu.url));
    assert.equal(found.length, 1);
    assert.match(found[0]!.finding, /icu en-US on the target/);
  });
});

describe('PostgreSQL -> PostgreSQL across default collations: text keys stay exact', () => {
  test('copy and validation match; an extra and a changed row are found by key', async (t) => {
    const target = icu ?? cCollate;
    if (!target) return t.skip('no second collation');
    await execPostgres(source.url, [
      `CREATE TABLE words (w text PRIMARY KEY, n int)`,
      `INSERT INTO words SELECT x, i FROM unnest(ARRAY['a', 'B', 'c', 'D', 'é', 'E', 'ß', 'ss', 'Z', '_x', '-y', '1', 'a b', 'ab'])
         WITH ORDINALITY AS u(x, i)`,
    ]);
    const job: PipelineJob = {
      source: { kind: 'postgres', url: source.url, schema: 'public' },
      target: { kind: 'postgres', url: target.url, schema: 'public' },
      tables: ['words'],
    };
    const prepared = await prepareSchema(job);
    await applySchema(job, prepared.plan, 'tables');
    await copyTables(job, prepared, { chunk: { initial: 3, min: 2, max: 3 } });
    const opts = { chunkRows: 3, recheckAttempts: 0 };
    const [r] = await validateTables(job, prepared, opts);
    assert.equal(r!.keyMode, 'key-set');
    assert.equal(r!.status, 'match', JSON.stringify(r));
    assert.equal(r!.matching, 14);
    await execPostgres(target.url, [
      `INSERT INTO words VALUES ('b', 0)`,
      `UPDATE words SET n = -1 WHERE w = 'é'`,
    ]);
    const [d] = await validateTables(job, prepared, opts);
    assert.deepEqual(d!.samples, { mismatched: [['é']], missing: [], extra: [['b']] });
  });
});
