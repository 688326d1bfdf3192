import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatSpecProblems, parseMigrationSpec } from '../../src/spec/migration-spec';

const valid = {
  name: 'shop-to-pg',
  source: { engine: 'mysql', connection: 'SHOP_SRC' },
  target: { engine: 'postgres', connection: 'SHOP_DST', schema: 'public' },
};

test('a minimal spec is accepted and defaults are filled in', () => {
  const r = parseMigrationSpec(valid);
  assert.ok(r.ok);
  assert.equal(r.spec.strategy, 'blue-green');
  assert.deepEqual(r.spec.tables, { include: ['*'], exclude: [] });
  assert.equal(r.spec.plan.sampleRows, 20_000);
  assert.deepEqual(r.spec.acceptRisks, []);
});

test('every bad field is named with its path, unknown fields included', () => {
  const r = parseMigrationSpec({
    name: 'has spaces!',
    source: { engine: 'oracle', connection: 'SHOP_SRC', passwrd: 'x' },
    target: { engine: 'postgres' },
    tables: { include: [] },
    plan: { sampleRows: -5, exactCounts: 'yes' },
    colour: 'blue',
  });
  assert.ok(!r.ok);
  const byPath = new Map(r.problems.map((p) => [p.path, p.message]));
  assert.deepEqual([...byPath.keys()].sort(), [
    'colour',
    'name',
    'plan.exactCounts',
    'plan.sampleRows',
    'source.engine',
    'source.passwrd',
    'tables.include',
    'target.connection',
  ]);
  assert.equal(byPath.get('colour'), 'unknown field');
  assert.equal(byPath.get('source.passwrd'), 'unknown field');
  assert.match(byPath.get('target.connection')!, /required/);
  assert.match(byPath.get('source.engine')!, /postgres.*mysql/);
  const text = formatSpecProblems(r.problems);
  assert.match(text, /^invalid migration spec \(8 problems\): /);
  for (const path of byPath.keys()) assert.ok(text.includes(`${path}: `), `message names ${path}`);
});

test('a URL in place of a connection name is refused without echoing it', () => {
  const url = 'mysql://root:hunter2@db.internal:3306/shop';
  const r = parseMigrationSpec({ ...valid, source: { engine: 'mysql', connection: url } });
  assert.ok(!r.ok);
  const problem = r.problems.find((p) => p.path === 'source.connection');
  assert.ok(problem);
  assert.match(problem.message, /connection name .* not a URL/);
  assert.ok(!formatSpecProblems(r.problems).includes('hunter2'));
});

test('source and target must not be the same place', () => {
  const r = parseMigrationSpec({ ...valid, target: { engine: 'mysql', connection: 'SHOP_SRC' } });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['target'],
  );
});

test('non-object input is refused at the root', () => {
  for (const input of [null, 'spec', 42, []]) {
    const r = parseMigrationSpec(input);
    assert.ok(!r.ok);
    assert.equal(r.problems[0]!.path, '(spec)');
  }
});

test('finding codes in acceptRisks must look like codes', () => {
  const r = parseMigrationSpec({ ...valid, acceptRisks: ['NO_PRIMARY_KEY', 'drop table x'] });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['acceptRisks.1'],
  );
});

test('copy load thresholds: criticalLoad must be above maxLoad, both positive integers', () => {
  const ok = parseMigrationSpec({ ...valid, copy: { maxLoad: 25, criticalLoad: 50 } });
  assert.ok(ok.ok);
  assert.equal(ok.spec.copy.maxLoad, 25);
  assert.equal(ok.spec.copy.criticalLoad, 50);
  const bad = parseMigrationSpec({ ...valid, copy: { maxLoad: 25, criticalLoad: 25 } });
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.problems.map((p) => [p.path, p.message]),
    [['copy.criticalLoad', 'criticalLoad must be above maxLoad']],
  );
  const zero = parseMigrationSpec({ ...valid, copy: { maxLoad: 0 } });
  assert.ok(!zero.ok);
  assert.deepEqual(
    zero.problems.map((p) => p.path),
    ['copy.maxLoad'],
  );
});

test("the example of the migration's fields in docs/BLUE-GREEN.md is a valid spec", () => {
  const doc = readFileSync(join(__dirname, '../../docs/BLUE-GREEN.md'), 'utf8');
  const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'the doc has a JSON example');
  const r = parseMigrationSpec({ ...valid, ...JSON.parse(example) });
  assert.ok(r.ok, r.ok ? '' : formatSpecProblems(r.problems));
  assert.equal(r.spec.copy.criticalLoad, 50);
  assert.equal(r.spec.cutover.hooks.alert, 'PAGER');
});
