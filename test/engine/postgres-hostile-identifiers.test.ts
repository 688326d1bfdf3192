// Names that break naive SQL building: quotes, backslashes, unicode, emoji, reserved words,
// comment and statement separators, case that matters, and the 63-byte limit. Everything is created
// through quoteIdent, values go in as parameters, and introspection must hand the names back exactly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createPostgresEngine, type PostgresEngine } from '../../src/engines/postgres/engine';
import { qualify, quoteIdent } from '../../src/engines/postgres/quote';
import type { SchemaModel } from '../../src/engines/model';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases';

const SCHEMA = `we"ird 'schema' \\ ; -- Ünïcødé 表 🚀`;
const INJECTION = 'x"; DROP TABLE y; --';
const UNICODE = 'Ünïcødé 表';
const MIXED = 'MixedCase';
const LOWER = 'mixedcase';
const LONGEST = 'l'.repeat(60) + '表'; // exactly 63 bytes
const LONGEST_COLUMN = '表'.repeat(21); // exactly 63 bytes, 21 characters

const COLUMNS = {
  id: 'select',
  quote: 'a"b',
  apostrophe: "it's",
  backslash: 'back\\slash',
  space: 'with space',
  emoji: '🚀 emoji',
  comment: 'semi;colon -- comment',
  order: 'order',
  user: 'user',
  mixed: MIXED,
  lower: LOWER,
  longest: LONGEST_COLUMN,
};

let db: TestDatabase;
let engine: PostgresEngine;
let model: SchemaModel;

async function run(url: string, statements: [string, unknown[]?][]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const [text, values] of statements) await c.query(text, values);
  } finally {
    await c.end();
  }
}

before(async () => {
  db = await createPostgresDatabase('cutover_pgh');
  const q = quoteIdent;
  const c = COLUMNS;
  const t = (name: string) => qualify(SCHEMA, name);
  await run(db.url, [
    [`CREATE SCHEMA ${q(SCHEMA)}`],
    [
      `CREATE TABLE ${t(INJECTION)} (
         ${q(c.id)} integer PRIMARY KEY,
         ${q(c.quote)} text, ${q(c.apostrophe)} text, ${q(c.backslash)} text, ${q(c.space)} text,
         ${q(c.emoji)} text, ${q(c.comment)} integer, ${q(c.order)} integer, ${q(c.user)} timestamptz,
         ${q(c.mixed)} text, ${q(c.lower)} text, ${q(c.longest)} text,
         CONSTRAINT ${q('chk "positive"; --')} CHECK (${q(c.order)} >= 0))`,
    ],
    [`CREATE UNIQUE INDEX ${q('idx "quoted" \\ ;--')} ON ${t(INJECTION)} (${q(c.mixed)}, ${q(c.lower)})`],
    [`CREATE INDEX ${q(`${UNICODE} idx`)} ON ${t(INJECTION)} (lower(${q(c.quote)}))`],
    [`CREATE TABLE ${t(MIXED)} (${q('Id')} integer PRIMARY KEY, ${q('ref')} integer)`],
    [`CREATE TABLE ${t(LOWER)} (${q('id')} integer PRIMARY KEY)`],
    [
      `CREATE TABLE ${t(UNICODE)} (${q('🔑')} integer PRIMARY KEY,
         ${q('fk ; ref')} integer CONSTRAINT ${q('fk \'ü\' "x"')} REFERENCES ${t(INJECTION)} (${q(c.id)}) ON DELETE CASCADE)`,
    ],
    [`CREATE TABLE ${t(LONGEST)} (${q(LONGEST_COLUMN)} integer PRIMARY KEY)`],
    [`CREATE TABLE ${t('y')} (id integer)`],
    [`COMMENT ON TABLE ${t(INJECTION)} IS 'it''s "hostile"'`],
    [
      `INSERT INTO ${t(INJECTION)} (${Object.values(c).map(q).join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [1, 'q"uote', "o'clock", 'C:\\path', 'trailing ', '🚀', 5, 1, '1969-12-31 23:59:59+00', 'A', 'a', '表'],
    ],
    [
      `INSERT INTO ${t(INJECTION)} (${Object.values(c).map(q).join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [2, null, null, null, 'no trailing', null, -3, 2, '2000-01-01 00:00:00+00', 'B', 'b', null],
    ],
    [`INSERT INTO ${t(MIXED)} VALUES (1, 10)`],
    [`INSERT INTO ${t(LOWER)} VALUES (7)`],
  ]);
  engine = createPostgresEngine(db.url);
  model = await engine.introspect({ schema: SCHEMA, exactCounts: true });
});

after(async () => {
  await engine?.close();
  await db?.drop();
});

test('quoteIdent doubles quotes and refuses names PostgreSQL cannot hold as given', () => {
  assert.equal(quoteIdent('plain'), '"plain"');
  assert.equal(quoteIdent(INJECTION), '"x""; DROP TABLE y; --"');
  assert.equal(quoteIdent(LONGEST), `"${LONGEST}"`);
  assert.equal(qualify('a"b', 'c'), '"a""b"."c"');
  assert.throws(() => quoteIdent(''), /identifier must not be empty/);
  assert.throws(() => quoteIdent('a\0b'), /contains a NUL character/);
  assert.throws(
    () => quoteIdent('表'.repeat(22)),
    (err: Error) => {
      assert.match(err.message, /is 66 bytes long in UTF-8/);
      assert.ok(err.message.includes('表'.repeat(22)), 'the message names the identifier');
      assert.match(err.message, /truncate/);
      return true;
    },
  );
  assert.throws(() => quoteIdent('a'.repeat(64)), /64 bytes long/);
  assert.throws(() => quoteIdent('bad \uD800 surrogate'), /unpaired UTF-16 surrogate/);
});

test('the server stores each name byte for byte', async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname COLLATE "C"`,
      [SCHEMA],
    );
    assert.deepEqual(
      rows.map((r) => r.relname),
      [MIXED, INJECTION, 'y', LOWER, LONGEST, UNICODE].sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      ),
    );
  } finally {
    await c.end();
  }
});

test('introspection round-trips every hostile name', () => {
  assert.equal(model.schema, SCHEMA);
  assert.deepEqual(
    model.tables.map((t) => t.name).sort(),
    [INJECTION, LOWER, LONGEST, MIXED, UNICODE, 'y'].sort(),
  );

  const main = model.tables.find((t) => t.name === INJECTION)!;
  assert.deepEqual(
    main.columns.map((c) => c.name),
    Object.values(COLUMNS),
  );
  assert.deepEqual(main.primaryKey, ['select']);
  assert.equal(main.exactRows, 2);
  assert.equal(main.comment, `it's "hostile"`);
  assert.deepEqual(main.uniqueKeys, [{ name: 'idx "quoted" \\ ;--', columns: [MIXED, LOWER] }]);
  assert.deepEqual(
    main.checks.map((c) => c.name),
    ['chk "positive"; --'],
  );
  assert.match(main.checks[0]!.expression, /"order" >= 0/);
  const expressionIndex = main.indexes.find((i) => i.name === `${UNICODE} idx`);
  assert.deepEqual(expressionIndex?.columns[0]?.column, null);
  assert.equal(expressionIndex?.columns[0]?.expression, 'lower("a""b")');

  const mixed = model.tables.find((t) => t.name === MIXED)!;
  const lower = model.tables.find((t) => t.name === LOWER)!;
  assert.deepEqual(mixed.primaryKey, ['Id'], 'case is preserved');
  assert.deepEqual(lower.primaryKey, ['id']);
  assert.equal(mixed.exactRows, 1);
  assert.equal(lower.exactRows, 1);

  const uni = model.tables.find((t) => t.name === UNICODE)!;
  assert.deepEqual(uni.primaryKey, ['🔑']);
  assert.deepEqual(uni.foreignKeys, [
    {
      name: 'fk \'ü\' "x"',
      columns: ['fk ; ref'],
      referencedSchema: SCHEMA,
      referencedTable: INJECTION,
      referencedColumns: ['select'],
      onUpdate: 'NO ACTION',
      onDelete: 'CASCADE',
      referencesUniqueKey: true,
    },
  ]);
  assert.deepEqual(model.tables.find((t) => t.name === LONGEST)!.primaryKey, [LONGEST_COLUMN]);
});

test('probe() on hostile names', async () => {
  const results = await engine.probe(SCHEMA, INJECTION, [
    { column: COLUMNS.space, kind: 'trailing-space' },
    { column: COLUMNS.comment, kind: 'negative' },
    { column: COLUMNS.order, kind: 'non-boolean' },
    { column: COLUMNS.user, kind: 'timestamp-out-of-range' },
    { column: COLUMNS.quote, kind: 'nul-byte' },
  ]);
  assert.deepEqual(
    results.map((r) => [r.column, r.kind, r.offendingRows]),
    [
      [COLUMNS.space, 'trailing-space', 1],
      [COLUMNS.comment, 'negative', 1],
      [COLUMNS.order, 'non-boolean', 1],
      [COLUMNS.user, 'timestamp-out-of-range', 1],
      [COLUMNS.quote, 'nul-byte', 0],
    ],
  );
  assert.deepEqual(await engine.probe(SCHEMA, MIXED, [{ column: 'ref', kind: 'negative' }]), [
    { column: 'ref', kind: 'negative', offendingRows: 0 },
  ]);
  await assert.rejects(
    engine.probe(SCHEMA, MIXED, [{ column: 'id', kind: 'negative' }]),
    /column "id" does not exist/,
  );
  await assert.rejects(
    engine.probe(SCHEMA, 'Mixedcase', [{ column: 'Id', kind: 'negative' }]),
    /does not exist/,
  );
});

test('readSample() on hostile names, in primary-key order', async () => {
  const cols = [
    COLUMNS.quote,
    COLUMNS.apostrophe,
    COLUMNS.backslash,
    COLUMNS.emoji,
    COLUMNS.user,
    COLUMNS.longest,
    COLUMNS.id,
  ];
  const sample = await engine.readSample(SCHEMA, INJECTION, cols, 10);
  assert.deepEqual(sample.columns, cols);
  assert.deepEqual(sample.rows, [
    ['q"uote', "o'clock", 'C:\\path', '🚀', '1969-12-31 23:59:59+00', '表', 1],
    [null, null, null, null, '2000-01-01 00:00:00+00', null, 2],
  ]);
  assert.ok(sample.bytes > 0);
  const one = await engine.readSample(SCHEMA, MIXED, ['Id', 'ref'], 1);
  assert.deepEqual(one.rows, [[1, 10]]);
  const longest = await engine.readSample(SCHEMA, LONGEST, [LONGEST_COLUMN], 5);
  assert.deepEqual(longest.rows, []);
});

test('live state and per-table counters in the hostile schema', async () => {
  const live = await engine.liveState({ schema: SCHEMA });
  const trigger = live.privileges.find((p) => p.capability.startsWith('create triggers'))!;
  assert.equal(trigger.granted, true);
  assert.ok(trigger.detail.includes('6 tables'), trigger.detail);
  // The inserts ran on connections that have ended, so their counters are published; poll anyway.
  let counters: Record<string, number> = {};
  for (let waited = 0; waited <= 3000 && counters[INJECTION] !== 2; waited += 100) {
    counters = await engine.tableWriteCounters(SCHEMA);
    if (counters[INJECTION] !== 2) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(counters[INJECTION], 2);
  assert.equal(counters[MIXED], 1);
  assert.equal(counters[LOWER], 1);
  for (const name of Object.keys(counters))
    assert.ok(
      model.tables.some((t) => t.name === name),
      `${name} is a table`,
    );
});
