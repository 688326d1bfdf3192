// The applier's steps with an in-memory capture and row access: distinct keys including old keys of
// key changes, byte-exact key matching, deletes before upserts, one upsert per row, trim only after
// the target wrote, and a change of an unknown table refused before anything is written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBatch, type ApplierOptions } from '../../src/dataplane/capture/applier';
import type { RowsEngine } from '../../src/dataplane/copy/rows-engine';
import type { CapturedChange, ChangeCapture } from '../../src/engines/capture';
import type { Key } from '../../src/engines/key-range';

function change(
  id: number,
  op: CapturedChange['op'],
  key: Key,
  oldKey: Key | null = null,
  table = 't',
): CapturedChange {
  return { id: String(id), table, op, key, oldKey, capturedAt: '2024-01-01 00:00:00.000000' };
}

function setup(changes: CapturedChange[], sourceRows: unknown[][]) {
  const log: string[] = [];
  const capture: ChangeCapture = {
    method: 'trigger',
    install: async () => undefined,
    readBatch: async () => ({ changes, position: 'p1' }),
    trim: async (p) => {
      log.push(`trim ${p}`);
      return changes.length;
    },
    lag: async () => ({ rowsBehind: 0, secondsBehind: 0 }),
    changedKeys: async () => ({ keys: [], next: null }),
    remove: async () => undefined,
  };
  const unused = async (): Promise<never> => {
    throw new Error('not used');
  };
  const source = {
    readByKeys: async (_s: string, _t: string, _c: string[], _k: string[], keys: Key[]) => {
      log.push(`read ${JSON.stringify(keys)}`);
      // A _ci source: 'a' finds the row keyed 'A'; two statements may return it twice.
      return keys.flatMap((k) =>
        sourceRows.filter((r) => String(r[0]).toLowerCase() === String(k[0]).toLowerCase()),
      );
    },
  } as unknown as RowsEngine;
  const target = {
    deleteRows: async (_s: string, t: string, key: string[], keys: Key[]) => {
      log.push(`delete ${t} ${key} ${JSON.stringify(keys)}`);
      return keys.length;
    },
    upsertRows: async (_s: string, t: string, columns: string[], key: string[], rows: unknown[][]) => {
      log.push(`upsert ${t} ${columns} ${key} ${JSON.stringify(rows)}`);
      return rows.length;
    },
    replaceRange: async (
      _s: string,
      t: string,
      _c: string[],
      _k: string[],
      range: unknown,
      rows: unknown[],
    ) => {
      log.push(`replace ${t} ${JSON.stringify(range)} ${rows.length}`);
      return 0;
    },
    keyBounds: unused,
  } as unknown as RowsEngine;
  const options: ApplierOptions = {
    capture,
    source,
    target,
    sourceSchema: 's',
    targetSchema: 'd',
    tables: [
      {
        table: 't',
        targetTable: 'tt',
        columns: ['k', 'v'],
        targetColumns: ['K', 'V'],
        key: ['k'],
        translateRow: (r) => [r[0], `${String(r[1])}!`],
      },
    ],
  };
  return { options, log };
}

test('keys collapse, gone keys are deleted before the rest is upserted once, then the batch is trimmed', async () => {
  const { options, log } = setup(
    [
      change(1, 'insert', ['a']),
      change(2, 'update', ['A'], ['a']),
      change(3, 'update', ['A']),
      change(4, 'delete', ['b']),
    ],
    [['A', 'x']],
  );
  const r = await applyBatch(options, null);
  assert.deepEqual(r, { position: 'p1', changes: 4, keys: 3, upserted: 1, deleted: 2, truncations: 0 });
  assert.deepEqual(log, [
    'read [["a"],["A"],["b"]]',
    'delete tt K [["a"],["b"]]',
    'upsert tt K,V K [["A","x!"]]',
    'trim p1',
  ]);
});

test('a change of a table the applier does not know fails before anything is written or trimmed', async () => {
  const { options, log } = setup([change(1, 'insert', [1], null, 'other')], []);
  await assert.rejects(applyBatch(options, null), /"other"/);
  assert.deepEqual(log, []);
});

test('an empty batch reads nothing and trims nothing', async () => {
  const { options, log } = setup([], []);
  assert.deepEqual(await applyBatch(options, 'p0'), {
    position: 'p1',
    changes: 0,
    keys: 0,
    upserted: 0,
    deleted: 0,
    truncations: 0,
  });
  assert.deepEqual(log, []);
});

test('a TRUNCATE empties the target table before the keys after it converge', async () => {
  const { options, log } = setup(
    [change(1, 'delete', ['x']), change(2, 'truncate', []), change(3, 'insert', ['A'])],
    [['A', 'y']],
  );
  const r = await applyBatch(options, null);
  assert.equal(r.truncations, 1);
  assert.deepEqual(log, [
    'replace tt {"lower":null,"upper":null} 0',
    'read [["x"],["A"]]',
    'delete tt K [["x"]]',
    'upsert tt K,V K [["A","y!"]]',
    'trim p1',
  ]);
});
