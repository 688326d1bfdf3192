// The spec's per-CHECK overrides (checks): accepted shapes, and every bad key or field named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMigrationSpec } from '../../src/spec/migration-spec';

const valid = {
  name: 'shop-to-pg',
  source: { engine: 'mysql', connection: 'SHOP_SRC' },
  target: { engine: 'postgres', connection: 'SHOP_DST', schema: 'public' },
};

test('checks defaults to no overrides; expression and drop are kept as given', () => {
  const r = parseMigrationSpec(valid);
  assert.ok(r.ok);
  assert.deepEqual(r.spec.checks, {});
  const checks = {
    'customers.chk_status': { expression: "lower(status) IN ('active', 'closed')" },
    'products.chk_sku': { drop: true },
    'odd.name.with.dots': { expression: 'qty > 0' },
  };
  const ok = parseMigrationSpec({ ...valid, checks });
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.deepEqual(ok.spec.checks, checks);
});

test('bad keys, unknown fields and contradictory overrides are each named', () => {
  const r = parseMigrationSpec({
    ...valid,
    checks: {
      nodot: { drop: true },
      'a.b': { expresion: 'x > 0' },
      'c.d': {},
      'e.f': { expression: 'x > 0', drop: true },
      'g.h': { expression: 'x > 0); DROP TABLE t; --' },
      'i.j': { drop: false },
      'k.l': { expression: '' },
    },
  });
  assert.ok(!r.ok);
  const byPath = new Map(r.problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('checks.nodot')!, /<table>\.<constraint>/);
  assert.equal(byPath.get('checks.a.b.expresion'), 'unknown field');
  assert.match(byPath.get('checks.c.d')!, /must set one of expression, drop/);
  assert.match(byPath.get('checks.e.f.drop')!, /cannot also have an expression/);
  assert.match(byPath.get('checks.g.h.expression')!, /one expression, without ";"/);
  assert.match(byPath.get('checks.i.j.drop')!, /must be true/);
  assert.match(byPath.get('checks.k.l.expression')!, /must not be empty/);
});
