// Reversing a move for the rollback window, without a database: which columns go back and as what
// type, which are refused (all named at once) unless the operator accepted the risk, the key, and
// the plan that moves the source's counters past the rows that came back. Plus the converters the
// reverse direction needs (text[] -> SET, bit varying -> BIT, uuid -> BINARY(16)).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planMove } from '../../src/activities/tables';
import {
  reverseTableMove,
  reverseTableMoves,
  ReverseReplicationError,
  sourceSequencePlan,
  type MoveShape,
} from '../../src/dataplane/reverse';
import { columnConverter, ValueProblem } from '../../src/dataplane/values';
import type { TranslatedColumn } from '../../src/engines/ddl-plan';
import { EngineInputError } from '../../src/engines/errors';
import { col, pgCol, schema, table } from '../helpers/model-fixtures';

const tc = (source: string, targetType: string, generated = false): TranslatedColumn => ({
  source,
  target: source,
  targetType,
  generated,
});

// MySQL orders -> PostgreSQL orders, as the planner and translator would have it.
const myOrders = table(
  'orders',
  [
    col('id', 'int(11)', { autoIncrement: true, nullable: false }),
    col('flag', 'tinyint(1)', { nullable: false }),
    col('mood', "enum('a','b')"),
    col('tags', "set('x','y')"),
    col('at', 'datetime(6)'),
    col('amount', 'decimal(12,2)'),
    col('spent', 'time'),
    col('stamp', 'timestamp'),
    col('doc', 'json'),
    col('ref', 'binary(16)'),
    col('twice', 'decimal(13,2)', { generated: { expression: '`amount` * 2', stored: true } }),
  ],
  { primaryKey: ['id'], autoIncrement: 10 },
);
const forward: MoveShape = {
  table: myOrders,
  mapping: {
    source: 'orders',
    target: 'orders',
    columns: [
      tc('id', 'integer'),
      tc('flag', 'boolean'),
      tc('mood', '"orders_mood"'),
      tc('tags', 'text[]'),
      tc('at', 'timestamp(6) without time zone'),
      tc('amount', 'numeric(12,2)'),
      tc('spent', 'interval(0)'),
      tc('stamp', 'timestamp(0) with time zone'),
      tc('doc', 'jsonb'),
      tc('ref', 'uuid'),
      tc('twice', 'numeric(13,2)', true),
    ],
    primaryKey: ['id'],
  },
};
const pgOrders = table(
  'orders',
  [
    pgCol('id', 'integer', 'integer', { autoIncrement: true, identity: 'by default', nullable: false }),
    pgCol('flag', 'boolean', 'boolean', { nullable: false }),
    pgCol('mood', 'orders_mood', 'orders_mood', { enumValues: ['a', 'b'] }),
    pgCol('tags', 'text[]', 'array', { arrayOf: 'text' }),
    pgCol('at', 'timestamp(6) without time zone', 'timestamp without time zone'),
    pgCol('amount', 'numeric(12,2)', 'numeric'),
    pgCol('spent', 'interval(0)', 'interval'),
    pgCol('stamp', 'timestamp(0) with time zone', 'timestamp with time zone'),
    pgCol('doc', 'jsonb', 'jsonb'),
    pgCol('ref', 'uuid', 'uuid'),
    pgCol('twice', 'numeric(13,2)', 'numeric', { generated: { expression: '(amount * 2)', stored: true } }),
  ],
  { primaryKey: ['id'], storageEngine: null },
);
const LOSSY = ['orders.spent', 'orders.stamp', 'orders.doc'];

describe('reverseTableMove', () => {
  test('refuses every column whose mapping is not reverse-lossless, naming table.column, all at once', () => {
    assert.throws(
      () => reverseTableMove(forward, pgOrders, { from: 'mysql', to: 'postgres' }),
      (err: unknown) => {
        assert.ok(err instanceof ReverseReplicationError && err instanceof EngineInputError);
        assert.deepEqual(
          err.problems.map((p) => p.slice(0, p.indexOf(':'))),
          LOSSY,
        );
        assert.match(err.message, /orders\.spent: .*838:59:59/);
        assert.match(err.message, /orders\.stamp: .*2038/);
        assert.match(err.message, /orders\.doc: .*doubles/);
        assert.match(err.message, /acceptLossy/);
        return true;
      },
    );
  });

  test('with the risks accepted: the move target -> source, each value back to the source column type', () => {
    const { tables, notes } = reverseTableMoves([forward], [pgOrders], {
      from: 'mysql',
      to: 'postgres',
      acceptLossy: LOSSY,
    });
    const m = tables[0]!;
    assert.equal(m.table, pgOrders);
    assert.deepEqual(
      { source: m.mapping.source, target: m.mapping.target, primaryKey: m.mapping.primaryKey },
      { source: 'orders', target: 'orders', primaryKey: ['id'] },
    );
    assert.deepEqual(
      m.mapping.columns.map((c) => [c.source, c.target, c.targetType, c.generated]),
      [
        ['id', 'id', 'int(11)', false],
        ['flag', 'flag', 'tinyint(1)', false],
        ['mood', 'mood', "enum('a','b')", false],
        ['tags', 'tags', "set('x','y')", false],
        ['at', 'at', 'datetime(6)', false],
        ['amount', 'amount', 'decimal(12,2)', false],
        ['spent', 'spent', 'time', false],
        ['stamp', 'stamp', 'timestamp', false],
        ['doc', 'doc', 'json', false],
        ['ref', 'ref', 'binary(16)', false],
      ],
    );
    assert.deepEqual(
      notes.map((n) => n.slice(0, n.indexOf(':'))),
      LOSSY,
    );
    // The applier can run it: PostgreSQL wire values become MySQL wire values.
    const plan = planMove('postgres', 'mysql', m);
    assert.deepEqual(
      plan.translateRow([
        7,
        true,
        'b',
        '{y,x,y}',
        '2024-01-31 12:00:00.5',
        '12.50',
        '01:02:03',
        '2024-01-31 12:00:00+00',
        '{"a": 1}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      ]),
      [
        7,
        1,
        'b',
        'x,y',
        '2024-01-31 12:00:00.5',
        '12.50',
        '01:02:03',
        '2024-01-31 12:00:00',
        '{"a": 1}',
        Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'),
      ],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(tables)), tables);
  });

  test('a type the operator overrode is refused unless known to be exact; an excluded NOT NULL column too', () => {
    const f: MoveShape = {
      table: table(
        't',
        [
          col('id', 'int(11)', { nullable: false }),
          col('code', 'varchar(10)'),
          col('must', 'int(11)', { nullable: false }),
          col('may', 'int(11)'),
        ],
        {
          primaryKey: ['id'],
        },
      ),
      mapping: {
        source: 't',
        target: 't',
        columns: [tc('id', 'integer'), tc('code', 'text')],
        primaryKey: ['id'],
      },
    };
    const target = table('t', [pgCol('id', 'integer', 'integer'), pgCol('code', 'text', 'text')], {
      primaryKey: ['id'],
    });
    assert.throws(
      () => reverseTableMove(f, target, { from: 'mysql', to: 'postgres' }),
      (err: unknown) => {
        assert.ok(err instanceof ReverseReplicationError);
        assert.equal(err.problems.length, 2);
        assert.match(err.problems[0]!, /^t\.code: .*overridden to text/);
        assert.match(err.problems[1]!, /^t\.must: is not migrated and is NOT NULL without a default/);
        return true;
      },
    );
    const ok = reverseTableMoves(
      [{ ...f, table: { ...f.table, columns: f.table.columns.filter((c) => c.name !== 'must') } }],
      [target],
      { from: 'mysql', to: 'postgres', acceptLossy: ['t.code'] },
    );
    assert.deepEqual(
      ok.tables[0]!.mapping.columns.map((c) => c.targetType),
      ['int(11)', 'varchar(10)'],
    );
    assert.ok(ok.notes.some((n) => /^t\.may: is not migrated/.test(n)));
  });

  test('PostgreSQL -> PostgreSQL: same types go back, GENERATED ALWAYS on the source too; a changed key is refused', () => {
    const src = table(
      'a',
      [
        pgCol('id', 'bigint', 'bigint', { autoIncrement: true, identity: 'always', nullable: false }),
        pgCol('email', 'text', 'text'),
      ],
      { primaryKey: ['id'], storageEngine: null },
    );
    const f: MoveShape = {
      table: src,
      mapping: {
        source: 'a',
        target: 'a',
        columns: [tc('id', 'bigint'), tc('email', 'text')],
        primaryKey: ['id'],
      },
    };
    const dst = table('a', [pgCol('id', 'bigint', 'bigint'), pgCol('email', 'text', 'text')], {
      primaryKey: ['email'],
      storageEngine: null,
    });
    assert.throws(
      () => reverseTableMove(f, dst, { from: 'postgres', to: 'postgres' }),
      (err: unknown) => {
        assert.ok(err instanceof ReverseReplicationError);
        assert.equal(err.problems.length, 1, err.problems.join('\n'));
        assert.match(
          err.problems[0]!,
          /^table a: the target's primary key \(email\) is not the forward key \(id/,
        );
        return true;
      },
    );
    // The applier writes the ids back with OVERRIDING SYSTEM VALUE.
    const r = reverseTableMove(f, { ...dst, primaryKey: ['id'] }, { from: 'postgres', to: 'postgres' });
    assert.deepEqual(
      r.mapping.columns.map((c) => c.targetType),
      ['bigint', 'text'],
    );
  });

  test('moves come back parents first by the foreign keys (the source enforces them)', () => {
    const simple = (name: string, extra = {}) =>
      table(name, [pgCol('id', 'integer', 'integer'), pgCol('up', 'integer', 'integer')], {
        primaryKey: ['id'],
        storageEngine: null,
        ...extra,
      });
    const fk = (to: string) => ({
      name: `fk_${to}`,
      columns: ['up'],
      referencedSchema: 'public',
      referencedTable: to,
      referencedColumns: ['id'],
      onUpdate: 'NO ACTION',
      onDelete: 'NO ACTION',
      referencesUniqueKey: true,
    });
    const move = (name: string): MoveShape => ({
      table: simple(name),
      mapping: {
        source: name,
        target: name,
        columns: [tc('id', 'integer'), tc('up', 'integer')],
        primaryKey: ['id'],
      },
    });
    const targets = [
      simple('grandchild', { foreignKeys: [fk('child')] }),
      simple('child', { foreignKeys: [fk('parent')] }),
      simple('parent', { foreignKeys: [fk('parent')] }),
      simple('other'),
    ];
    const r = reverseTableMoves(['grandchild', 'child', 'parent', 'other'].map(move), targets, {
      from: 'postgres',
      to: 'postgres',
    });
    assert.deepEqual(
      r.tables.map((t) => t.mapping.source),
      ['parent', 'other', 'child', 'grandchild'],
    );
  });

  test('a forward table missing on the target is named', () => {
    assert.throws(
      () => reverseTableMoves([forward], [], { from: 'mysql', to: 'postgres', acceptLossy: LOSSY }),
      /table orders: not found on the target/,
    );
  });
});

describe('sourceSequencePlan', () => {
  test('MySQL source: AUTO_INCREMENT past the target sequence (ids it handed out are not reused)', () => {
    const target = schema('postgres', [pgOrders], {
      sequences: [{ name: 'orders_id_seq', ownedBy: 'orders.id', lastValue: 41 }],
    });
    const { plan, sequences } = sourceSequencePlan([forward], schema('mysql', [myOrders]), target);
    assert.deepEqual(sequences, [{ table: 'orders', column: 'id', floor: '42' }]);
    assert.equal(plan.to, 'mysql');
    assert.equal(plan.targetSchema, 'shop');
    assert.deepEqual(
      plan.statements.map((s) => [s.object.kind, s.reset]),
      [['sequence-value', { table: 'orders', column: 'id', sequence: null, floor: '42' }]],
    );
    // The source's own counter is the floor when it is higher.
    const ahead = sourceSequencePlan(
      [forward],
      schema('mysql', [{ ...myOrders, autoIncrement: 100 }]),
      target,
    );
    assert.equal(ahead.sequences[0]!.floor, '100');
  });

  test('PostgreSQL source: identity through pg_get_serial_sequence, a plain sequence default by name', () => {
    const src = table(
      'a',
      [
        pgCol('id', 'bigint', 'bigint', { autoIncrement: true, identity: 'by default' }),
        pgCol('n', 'integer', 'integer', {
          autoIncrement: true,
          default: `nextval('"Odd"''s seq'::regclass)`,
        }),
      ],
      { primaryKey: ['id'], storageEngine: null },
    );
    const f: MoveShape = {
      table: src,
      mapping: {
        source: 'a',
        target: 'a',
        columns: [tc('id', 'bigint'), tc('n', 'integer')],
        primaryKey: ['id'],
      },
    };
    const { plan } = sourceSequencePlan(
      [f],
      schema('postgres', [src], {
        schema: 'public',
        sequences: [{ name: 'a_id_seq', ownedBy: 'a.id', lastValue: 9 }],
      }),
      schema('postgres', [src], {
        schema: 'public',
        sequences: [{ name: 'a_id_seq', ownedBy: 'a.id', lastValue: 20 }],
      }),
    );
    assert.deepEqual(
      plan.statements.map((s) => s.sql),
      [
        `SELECT setval(pg_get_serial_sequence('"public"."a"', 'id'), GREATEST(COALESCE(max("id"), 0) + 1, 21)::bigint, false) FROM "public"."a"`,
        `SELECT setval('"Odd"''s seq'::regclass, GREATEST(COALESCE(max("n"), 0) + 1, 1)::bigint, false) FROM "public"."a"`,
      ],
    );
  });
});

describe('converters of the reverse direction (PostgreSQL -> MySQL)', () => {
  const conv = (dataType: string, nativeType: string, targetType: string) =>
    columnConverter('postgres', 'mysql', { source: pgCol('c', nativeType, dataType), targetType });

  test('text[] -> SET: members in declaration order, once; a member the SET lacks, or NULL, is refused', () => {
    const c = conv('array', 'text[]', "set('a','b c','d''e')");
    assert.equal(c('{"b c",a,a}'), 'a,b c');
    assert.equal(c(`{"d'e"}`), "d'e");
    assert.equal(c('{}'), '');
    assert.equal(c(null), null);
    assert.throws(() => c('{z}'), ValueProblem);
    assert.throws(() => c('{a,NULL}'), ValueProblem);
  });

  test('bit varying -> BIT(n): bytes; uuid -> BINARY(16): 16 bytes', () => {
    assert.deepEqual(conv('bit varying', 'bit varying(10)', 'bit(10)')('1000000001'), Buffer.from([2, 1]));
    assert.deepEqual(
      conv('uuid', 'uuid', 'binary(16)')('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
      Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'),
    );
  });
});
