// Whole-schema introspection from pg_catalog (information_schema hides objects the user does not own
// and loses detail such as index expressions, partitioning and identity kinds). All catalog reads
// run in one REPEATABLE READ transaction so that the model is one consistent picture.
import type { ClientBase, Pool } from 'pg';
import type { IntrospectOptions } from '../engine';
import type {
  CheckModel,
  ColumnModel,
  ForeignKeyModel,
  IndexModel,
  RoutineModel,
  SchemaModel,
  SequenceModel,
  TableModel,
  TriggerModel,
  UniqueKeyModel,
  ViewModel,
} from '../model';
import { EngineInputError } from '../errors';
import { qualify } from './quote';
import { catalogTypes } from './result-types';
import { TypeCatalog, typmodFacts } from './type-catalog';

/** Catalog queries wait at most this long behind a conflicting lock (e.g. a pending ALTER TABLE). */
const CATALOG_LOCK_TIMEOUT = '10s';

async function q<T>(client: ClientBase, text: string, values: unknown[] = []): Promise<T[]> {
  return (await client.query<T & object>({ text, values, types: catalogTypes })).rows;
}

const num = (v: string | number | null): number => (v === null ? 0 : Number(v));

// Objects that belong to an extension are recreated by CREATE EXTENSION, not migrated one by one.
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '${catalog}'::regclass AND x.objid = ${oid} AND x.deptype = 'e')`;

export async function serverInfo(client: ClientBase): Promise<{ database: string; serverVersion: string }> {
  const [row] = await q<{ database: string; version: string }>(
    client,
    `SELECT current_database()::text AS database, current_setting('server_version') AS version`,
  );
  // server_version reads like "15.19 (Debian 15.19-0+deb12u1)"; keep the number only.
  return { database: row!.database, serverVersion: `PostgreSQL ${row!.version.split(' ')[0]}` };
}

export async function introspectSchema(
  pool: Pool,
  schema: string,
  options: IntrospectOptions,
): Promise<SchemaModel> {
  const client = await pool.connect();
  let model: SchemaModel;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL lock_timeout = '${CATALOG_LOCK_TIMEOUT}'`);
    model = await readCatalog(client, schema);
    await client.query('COMMIT');
  } catch (err) {
    // A connection that cannot even roll back is broken: destroy it instead of pooling it.
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    client.release(broken);
    throw err;
  }
  try {
    // Counted outside the catalog transaction: a long count must not hold locks on every table.
    // A table never analysed has no estimate at all; when it is small (usually: new) it is
    // counted anyway, so progress and ETAs have a total to go by.
    for (const table of model.tables) {
      const unanalysed = table.rowEstimate < 0 && table.dataBytes <= COUNT_UNANALYSED_BYTES;
      if (options.exactCounts || (options.countUnanalysed && unanalysed)) {
        const [row] = await q<{ n: string }>(
          client,
          `SELECT count(*) AS n FROM ${qualify(schema, table.name)}`,
        );
        table.exactRows = num(row!.n);
      }
    }
  } finally {
    client.release();
  }
  return model;
}

const COUNT_UNANALYSED_BYTES = 64 * 1024 * 1024;

async function readCatalog(client: ClientBase, schema: string): Promise<SchemaModel> {
  const { database, serverVersion } = await serverInfo(client);
  const [db] = await q<{ charset: string; collation: string }>(
    client,
    `SELECT pg_encoding_to_char(d.encoding)::text AS charset, d.datcollate::text AS collation
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  const [ns] = await q<{ oid: number }>(client, `SELECT oid FROM pg_namespace WHERE nspname = $1`, [schema]);
  if (!ns)
    throw new EngineInputError(
      `PostgreSQL schema ${JSON.stringify(schema)} does not exist in database ${JSON.stringify(database)}`,
    );

  const tables = await readTables(client, ns.oid);
  const oids = tables.map((t) => t.oid);
  const byOid = new Map(tables.map((t) => [t.oid, t.model]));

  await readColumns(client, oids, byOid);
  const uniqueIndexOids = await readConstraints(client, oids, byOid);
  await readIndexes(client, oids, byOid, uniqueIndexOids);
  const triggers = await readTriggers(client, ns.oid, oids, byOid);

  return {
    engine: 'postgres',
    serverVersion,
    schema,
    database,
    charset: db?.charset ?? null,
    collation: db?.collation ?? null,
    tables: tables.map((t) => t.model),
    views: await readViews(client, ns.oid),
    routines: await readRoutines(client, ns.oid),
    triggers,
    events: [],
    sequences: await readSequences(client, ns.oid),
  };
}

async function readTables(client: ClientBase, nsOid: number): Promise<{ oid: number; model: TableModel }[]> {
  // Ordinary and partitioned tables. A partition whose parent lives in the same schema is part of
  // that parent (reported once, as partitioned); sizes and row estimates of a partitioned parent
  // are the sums over its leaf partitions, since the parent itself stores nothing.
  const rows = await q<{
    oid: number;
    name: string;
    kind: string;
    is_partition: boolean;
    row_estimate: number | null;
    data_bytes: string;
    index_bytes: string;
    comment: string | null;
  }>(
    client,
    `SELECT c.oid, c.relname::text AS name, c.relkind::text AS kind, c.relispartition AS is_partition,
            CASE WHEN c.relkind = 'p' THEN
              (SELECT CASE WHEN bool_and(l.reltuples < 0) THEN -1 ELSE sum(greatest(l.reltuples, 0)) END
                 FROM pg_partition_tree(c.oid) pt JOIN pg_class l ON l.oid = pt.relid WHERE pt.isleaf)
            ELSE c.reltuples END::float8 AS row_estimate,
            CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(pg_table_size(pt.relid)), 0) FROM pg_partition_tree(c.oid) pt WHERE pt.isleaf)
            ELSE pg_table_size(c.oid) END::int8 AS data_bytes,
            CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(pg_indexes_size(pt.relid)), 0) FROM pg_partition_tree(c.oid) pt WHERE pt.isleaf)
            ELSE pg_indexes_size(c.oid) END::int8 AS index_bytes,
            obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c
      WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p')
        AND NOT (c.relispartition AND EXISTS (
              SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
               WHERE i.inhrelid = c.oid AND p.relnamespace = c.relnamespace))
        AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname COLLATE "C"`,
    [nsOid],
  );
  return rows.map((r) => ({
    oid: r.oid,
    model: {
      name: r.name,
      columns: [],
      primaryKey: null,
      uniqueKeys: [],
      indexes: [],
      foreignKeys: [],
      checks: [],
      triggers: [],
      // reltuples is -1 until the first VACUUM/ANALYZE (PostgreSQL 14+).
      rowEstimate: r.row_estimate === null || r.row_estimate < 0 ? -1 : Math.round(r.row_estimate),
      exactRows: null,
      dataBytes: num(r.data_bytes),
      indexBytes: num(r.index_bytes),
      autoIncrement: null,
      comment: r.comment,
      storageEngine: null,
      partitioned: r.kind === 'p' || r.is_partition,
    },
  }));
}

async function readColumns(
  client: ClientBase,
  oids: number[],
  byOid: Map<number, TableModel>,
): Promise<void> {
  // uses_owned_sequence: the default expression depends on a sequence that is owned by this very
  // column (serial). A nextval() of some shared sequence is a default, not an auto-increment.
  const rows = await q<{
    rel: number;
    name: string;
    native: string;
    typ: number;
    typmod: number;
    notnull: boolean;
    identity: string;
    generated: string;
    expr: string | null;
    comment: string | null;
    collation: string | null;
    uses_owned_sequence: boolean;
  }>(
    client,
    `SELECT a.attrelid AS rel, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS native,
            a.atttypid AS typ, a.atttypmod AS typmod, a.attnotnull AS notnull,
            a.attidentity::text AS identity, a.attgenerated::text AS generated,
            pg_get_expr(d.adbin, d.adrelid) AS expr, col_description(a.attrelid, a.attnum) AS comment,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname::text END AS collation,
            (d.oid IS NOT NULL AND EXISTS (
               SELECT 1 FROM pg_depend dd
                 JOIN pg_depend od ON od.classid = 'pg_class'::regclass AND od.objid = dd.refobjid
                                  AND od.refclassid = 'pg_class'::regclass AND od.refobjid = a.attrelid
                                  AND od.refobjsubid = a.attnum AND od.deptype IN ('a', 'i')
                WHERE dd.classid = 'pg_attrdef'::regclass AND dd.objid = d.oid
                  AND dd.refclassid = 'pg_class'::regclass)) AS uses_owned_sequence
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const types = new TypeCatalog(client);
  await types.load(rows.map((r) => r.typ));
  for (const r of rows) {
    const table = byOid.get(r.rel)!;
    const resolved = types.resolve(r.typ, r.typmod);
    const stored = r.generated === 's';
    const column: ColumnModel = {
      name: r.name,
      // Position among the live columns: dropped columns leave gaps in attnum.
      ordinal: table.columns.length + 1,
      nativeType: r.native,
      dataType: resolved.dataType,
      nullable: !r.notnull,
      default: stored ? null : r.expr,
      generated: stored ? { expression: r.expr ?? '', stored: true } : null,
      autoIncrement: r.identity !== '' || (r.uses_owned_sequence && /^nextval\(/.test(r.expr ?? '')),
      identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
      unsigned: false,
      ...typmodFacts(resolved.dataType, resolved.typmod),
      charset: null,
      collation: r.collation,
      enumValues: resolved.enumValues,
      arrayOf: resolved.arrayOf,
      isJson: resolved.isJson,
      comment: r.comment,
    };
    table.columns.push(column);
  }
}

const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Primary keys, unique constraints, foreign keys and checks; returns the oids of indexes backing keys. */
async function readConstraints(
  client: ClientBase,
  oids: number[],
  byOid: Map<number, TableModel>,
): Promise<Set<number>> {
  // Column lists keep constraint order through WITH ORDINALITY. The NOT EXISTS skips the clones
  // PostgreSQL adds on the same table for each partition of a partitioned referenced table.
  const rows = await q<{
    rel: number;
    name: string;
    type: string;
    index_oid: number;
    columns: string[];
    ref_schema: string | null;
    ref_table: string | null;
    ref_columns: string[];
    on_update: string;
    on_delete: string;
    check_expr: string | null;
    references_unique: boolean | null;
    validated: boolean;
  }>(
    client,
    `SELECT con.conrelid AS rel, con.conname::text AS name, con.contype::text AS type, con.conindid AS index_oid,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            rn.nspname::text AS ref_schema, rc.relname::text AS ref_table,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
            con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete, con.convalidated AS validated,
            CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END AS check_expr,
            CASE WHEN con.contype = 'f' THEN EXISTS (
              SELECT 1 FROM pg_index i
               WHERE i.indrelid = con.confrelid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND (SELECT array_agg(u.k ORDER BY u.k) FROM unnest(i.indkey) WITH ORDINALITY u(k, o) WHERE u.o <= i.indnkeyatts)
                   = (SELECT array_agg(f ORDER BY f) FROM unnest(con.confkey) f)) END AS references_unique
       FROM pg_constraint con
       LEFT JOIN pg_class rc ON rc.oid = con.confrelid
       LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint parent
                         WHERE parent.oid = con.conparentid AND parent.conrelid = con.conrelid)
      ORDER BY con.conrelid, con.conname COLLATE "C"`,
    [oids],
  );
  const keyIndexes = new Set<number>();
  for (const r of rows) {
    const table = byOid.get(r.rel)!;
    switch (r.type) {
      case 'p':
        table.primaryKey = r.columns;
        keyIndexes.add(r.index_oid);
        break;
      case 'u': {
        const key: UniqueKeyModel = { name: r.name, columns: r.columns };
        table.uniqueKeys.push(key);
        keyIndexes.add(r.index_oid);
        break;
      }
      case 'f': {
        const fk: ForeignKeyModel = {
          name: r.name,
          columns: r.columns,
          referencedSchema: r.ref_schema ?? '',
          referencedTable: r.ref_table ?? '',
          referencedColumns: r.ref_columns,
          onUpdate: FK_ACTIONS[r.on_update] ?? r.on_update,
          onDelete: FK_ACTIONS[r.on_delete] ?? r.on_delete,
          referencesUniqueKey: r.references_unique === true,
        };
        if (!r.validated) fk.notValidated = true;
        table.foreignKeys.push(fk);
        break;
      }
      case 'c': {
        // The bare expression (pg_get_constraintdef's text without the "CHECK (...)" wrapper).
        const check: CheckModel = { name: r.name, expression: r.check_expr ?? '' };
        if (!r.validated) check.notValidated = true;
        table.checks.push(check);
        break;
      }
    }
  }
  return keyIndexes;
}

async function readIndexes(
  client: ClientBase,
  oids: number[],
  byOid: Map<number, TableModel>,
  keyIndexes: Set<number>,
): Promise<void> {
  // Key columns only (not INCLUDE columns). indkey/indoption are int2vectors, subscripted from 0.
  const rows = await q<{
    rel: number;
    oid: number;
    name: string;
    unique: boolean;
    primary: boolean;
    valid: boolean;
    method: string;
    predicate: string | null;
    parts: { column: string | null; expression: string | null; descending: boolean }[];
  }>(
    client,
    `SELECT i.indrelid AS rel, i.indexrelid AS oid, ic.relname::text AS name, i.indisunique AS unique,
            i.indisprimary AS primary, i.indisvalid AS valid, am.amname::text AS method,
            pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
            (SELECT json_agg(json_build_object(
                      'column', a.attname,
                      'expression', CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) END,
                      'descending', (i.indoption[k - 1] & 1) = 1) ORDER BY k)
               FROM generate_series(1, i.indnkeyatts) k
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0
            ) AS parts
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am am ON am.oid = ic.relam
      WHERE i.indrelid = ANY($1::oid[])
      ORDER BY i.indrelid, ic.relname COLLATE "C"`,
    [oids],
  );
  for (const r of rows) {
    const table = byOid.get(r.rel)!;
    const index: IndexModel = {
      name: r.name,
      columns: (r.parts ?? []).map((p) => ({
        column: p.column,
        expression: p.column === null ? p.expression : null,
        prefixLength: null,
        descending: p.descending,
      })),
      unique: r.unique,
      primary: r.primary,
      method: r.method.toLowerCase(),
      predicate: r.predicate,
    };
    table.indexes.push(index);
    // A unique index is a key when it covers plain columns, all rows and is usable.
    const plain = index.columns.every((c) => c.column !== null);
    if (r.unique && !r.primary && r.valid && !r.predicate && plain && !keyIndexes.has(r.oid)) {
      table.uniqueKeys.push({ name: r.name, columns: index.columns.map((c) => c.column!) });
    }
  }
  for (const t of byOid.values()) t.uniqueKeys.sort((a, b) => compareNames(a.name, b.name));
}

async function readTriggers(
  client: ClientBase,
  nsOid: number,
  oids: number[],
  byOid: Map<number, TableModel>,
): Promise<TriggerModel[]> {
  // Triggers of the tables (not their partitions' clones) and INSTEAD OF triggers of views.
  const rows = await q<{ rel: number; table: string; name: string; tgtype: number; definition: string }>(
    client,
    `SELECT t.tgrelid AS rel, c.relname::text AS table, t.tgname::text AS name, t.tgtype::int4 AS tgtype,
            pg_get_triggerdef(t.oid, true) AS definition
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = $1 AND NOT t.tgisinternal AND (t.tgrelid = ANY($2::oid[]) OR c.relkind = 'v')
      ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C"`,
    [nsOid, oids],
  );
  return rows.map((r) => {
    byOid.get(r.rel)?.triggers.push(r.name);
    return { name: r.name, table: r.table, timing: triggerTiming(r.tgtype), definition: r.definition };
  });
}

/** "BEFORE INSERT OR UPDATE" from pg_trigger.tgtype (bits as in catalog/pg_trigger.h). */
export function triggerTiming(tgtype: number): string {
  const when = tgtype & 64 ? 'INSTEAD OF' : tgtype & 2 ? 'BEFORE' : 'AFTER';
  const events: string[] = [];
  if (tgtype & 4) events.push('INSERT');
  if (tgtype & 16) events.push('UPDATE');
  if (tgtype & 8) events.push('DELETE');
  if (tgtype & 32) events.push('TRUNCATE');
  return `${when} ${events.join(' OR ')}`;
}

async function readViews(client: ClientBase, nsOid: number): Promise<ViewModel[]> {
  const rows = await q<{ name: string; materialized: boolean; definition: string }>(
    client,
    `SELECT c.relname::text AS name, c.relkind = 'm' AS materialized, pg_get_viewdef(c.oid, true) AS definition
       FROM pg_class c
      WHERE c.relnamespace = $1 AND c.relkind IN ('v', 'm') AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname COLLATE "C"`,
    [nsOid],
  );
  return rows.map((r) => ({ name: r.name, definition: r.definition, materialized: r.materialized }));
}

const ROUTINE_KINDS: Record<string, RoutineModel['kind']> = {
  f: 'function',
  p: 'procedure',
  a: 'aggregate',
  w: 'window',
};

async function readRoutines(client: ClientBase, nsOid: number): Promise<RoutineModel[]> {
  const rows = await q<{ name: string; kind: string; language: string }>(
    client,
    `SELECT p.proname::text AS name, p.prokind::text AS kind, l.lanname::text AS language
       FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      WHERE p.pronamespace = $1 AND ${notExtensionMember('pg_proc', 'p.oid')}
      ORDER BY p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C"`,
    [nsOid],
  );
  return rows.map((r) => ({ name: r.name, kind: ROUTINE_KINDS[r.kind] ?? 'function', language: r.language }));
}

async function readSequences(client: ClientBase, nsOid: number): Promise<SequenceModel[]> {
  // Owned sequences depend on their column with deptype 'a' (serial, OWNED BY) or 'i' (identity).
  // last_value is null until nextval() was called, and without privileges to read it.
  const rows = await q<{ name: string; owned_by: string | null; last_value: string | null }>(
    client,
    `SELECT c.relname::text AS name,
            (SELECT oc.relname::text || '.' || a.attname::text
               FROM pg_depend d
               JOIN pg_class oc ON oc.oid = d.refobjid
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
              LIMIT 1) AS owned_by,
            CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid) END AS last_value
       FROM pg_class c
      WHERE c.relnamespace = $1 AND c.relkind = 'S' AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname COLLATE "C"`,
    [nsOid],
  );
  return rows.map((r) => ({
    name: r.name,
    ownedBy: r.owned_by,
    lastValue: r.last_value === null ? null : Number(r.last_value),
  }));
}

/** Byte-wise order, the same as COLLATE "C" in the queries. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
