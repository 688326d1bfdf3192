// The spec's per-column overrides (columns): accepted shapes, and every bad key or field named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMigrationSpec } from '../../src/spec/migration-spec';

const valid = {
  name: 'shop-to-pg',
  source: { engine: 'mysql', connection: 'SHOP_SRC' },
  target: { engine: 'postgres', connection: 'SHOP_DST', schema: 'public' },
};

test('columns defaults to no overrides', () => {
  const r = parseMigrationSpec(valid);
  assert.ok(r.ok);
  assert.deepEqual(r.spec.columns, {});
});

test('column overrides are accepted and kept as given', () => {
  const columns = {
    'products.price_with_tax': { generatedExpression: 'price * 1.2' },
    'products.uuid': { type: 'uuid' },
    'warehouses.location': { exclude: true },
    'odd.column.with.dots': { exclude: false, type: 'text' },
  };
  const r = parseMigrationSpec({ ...valid, columns });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.spec.columns, columns);
});

test('bad keys, unknown fields and contradictory overrides are each named', () => {
  const r = parseMigrationSpec({
    ...valid,
    columns: {
      nodot: { exclude: true },
      'a.b': { typ: 'int' },
      'c.d': {},
      'e.f': { exclude: true, type: 'int' },
      'g.h': { type: 'int; DROP TABLE x' },
      'i.j': { exclude: 'yes' },
    },
  });
  assert.ok(!r.ok);
  const byPath = new Map(r.problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('columns.nodot')!, /<table>\.<column>/);
  assert.equal(byPath.get('columns.a.b.typ'), 'unknown field');
  assert.match(byPath.get('columns.c.d')!, /at least one of type, generatedExpression, exclude/);
  assert.match(byPath.get('columns.e.f.exclude')!, /excluded column cannot also have/);
  assert.match(byPath.get('columns.g.h.type')!, /one DDL type/);
  assert.ok(byPath.has('columns.i.j.exclude'));
});

test('columns must be an object', () => {
  const r = parseMigrationSpec({ ...valid, columns: ['products.x'] });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['columns'],
  );
});
