// The routing switch on real databases (MySQL source, PostgreSQL target): both sides get the same
// row, which an application reads with the documented query; a retried switch writes nothing twice
// and keeps the first time; the next epoch switches back; a stale or conflicting epoch is refused
// before either side is written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { RoutingConflictError, type CutoverControl } from '../../src/engines/cutover-control';
import { openCutoverControl } from '../../src/dataplane/cutover/control';
import { switchRouting } from '../../src/dataplane/cutover/routing';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execPostgres,
  type TestDatabase,
} from '../helpers/databases';

let my: TestDatabase;
let pgdb: TestDatabase;
let source: CutoverControl;
let target: CutoverControl;

/** What an application runs (docs/CUTOVER.md). */
async function appReadsPostgres(migration: string): Promise<unknown> {
  const c = new pg.Client({ connectionString: pgdb.url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT active, active_engine, epoch, switched_at FROM app._cutover_routing WHERE migration = $1`,
      [migration],
    );
    return rows[0]
      ? { ...rows[0], epoch: Number(rows[0].epoch), switched_at: rows[0].switched_at.toISOString() }
      : null;
  } finally {
    await c.end();
  }
}

async function appReadsMysql(migration: string): Promise<unknown> {
  const c = await mysql.createConnection({ uri: my.url, timezone: 'Z' });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT active, active_engine, epoch, switched_at FROM _cutover_routing WHERE migration = ?`,
      [migration],
    );
    const r = rows[0];
    return r ? { ...r, epoch: Number(r.epoch), switched_at: (r.switched_at as Date).toISOString() } : null;
  } finally {
    await c.end();
  }
}

before(async () => {
  [my, pgdb] = await Promise.all([
    createMysqlDatabase('cutover_route'),
    createPostgresDatabase('cutover_route'),
  ]);
  await execPostgres(pgdb.url, ['CREATE SCHEMA app']);
  source = openCutoverControl('mysql', my.url);
  target = openCutoverControl('postgres', pgdb.url);
});

after(async () => {
  await Promise.all([source?.close(), target?.close()]);
  await Promise.all([my?.drop(), pgdb?.drop()]);
});

describe('routing switch', () => {
  const sides = () => ({
    source: { control: source, schema: my.name },
    target: { control: target, schema: 'app' },
  });

  test('writes the same row on both sides, readable by applications; a retry changes nothing', async () => {
    const t1 = new Date('2026-01-02T03:04:05.678Z');
    const r = await switchRouting({ migration: 'm1', active: 'target', epoch: 1, ...sides(), now: () => t1 });
    assert.deepEqual(r, {
      migration: 'm1',
      active: 'target',
      activeEngine: 'postgres',
      switchedAt: t1.toISOString(),
      epoch: 1,
      outcome: { source: 'written', target: 'written' },
    });
    const seen = { active: 'target', active_engine: 'postgres', epoch: 1, switched_at: t1.toISOString() };
    assert.deepEqual(await appReadsPostgres('m1'), seen);
    assert.deepEqual(await appReadsMysql('m1'), seen);
    const retry = await switchRouting({
      migration: 'm1',
      active: 'target',
      epoch: 1,
      ...sides(),
      now: () => new Date('2026-01-02T09:00:00.000Z'),
    });
    assert.equal(retry.switchedAt, t1.toISOString(), 'the first attempt’s time is kept');
    assert.deepEqual(retry.outcome, { source: 'unchanged', target: 'unchanged' });
    assert.deepEqual(await appReadsMysql('m1'), seen);
  });

  test('a crash between the two sides is completed by the retry with the same row', async () => {
    // Only the target got epoch 2 (the side becoming active is written first).
    const t2 = '2026-01-02T04:00:00.000Z';
    await target.writeRouting('app', {
      migration: 'm1',
      active: 'source',
      activeEngine: 'mysql',
      switchedAt: t2,
      epoch: 2,
    });
    const r = await switchRouting({ migration: 'm1', active: 'source', epoch: 2, ...sides() });
    assert.equal(r.switchedAt, t2);
    assert.deepEqual(r.outcome, { source: 'written', target: 'unchanged' });
    const seen = { active: 'source', active_engine: 'mysql', epoch: 2, switched_at: t2 };
    assert.deepEqual(await appReadsPostgres('m1'), seen);
    assert.deepEqual(await appReadsMysql('m1'), seen);
  });

  test('a stale or conflicting epoch is refused and nothing is written', async () => {
    await assert.rejects(
      switchRouting({ migration: 'm1', active: 'target', epoch: 1, ...sides() }),
      (err: unknown) => err instanceof RoutingConflictError && /at epoch 2 .*stale/.test(err.message),
    );
    await assert.rejects(
      switchRouting({ migration: 'm1', active: 'target', epoch: 2, ...sides() }),
      /conflicting retry/,
    );
    assert.deepEqual(await appReadsMysql('m1'), {
      active: 'source',
      active_engine: 'mysql',
      epoch: 2,
      switched_at: '2026-01-02T04:00:00.000Z',
    });
    await assert.rejects(
      switchRouting({ migration: 'm1', active: 'target', epoch: 0, ...sides() }),
      /positive integer/,
    );
    await assert.rejects(
      switchRouting({ migration: 'bad name', active: 'target', epoch: 3, ...sides() }),
      /migration name/,
    );
  });

  test('migrations have rows of their own', async () => {
    assert.equal(await appReadsPostgres('other'), null);
    assert.equal(await source.readRouting(my.name, 'other'), null);
  });
});
