// The engine-neutral picture of a database that introspection produces and the planner reads.
// Plain JSON-serialisable data only: it travels through Temporal as activity results.

export type EngineKind = 'postgres' | 'mysql';

export interface SchemaModel {
  engine: EngineKind;
  /** e.g. "PostgreSQL 15.19" or "MariaDB 10.11.19" */
  serverVersion: string;
  /** MySQL: the database; PostgreSQL: the schema inside the connection's database. */
  schema: string;
  /** PostgreSQL: the connected database; MySQL: same as schema. */
  database: string;
  /** Default character set / encoding of the schema (MySQL) or database (PostgreSQL). */
  charset: string | null;
  collation: string | null;
  tables: TableModel[];
  views: ViewModel[];
  routines: RoutineModel[];
  /** Triggers of all tables, also listed per table. */
  triggers: TriggerModel[];
  /** MySQL event scheduler events; always empty on PostgreSQL. */
  events: EventModel[];
  /** PostgreSQL sequences (owned or free-standing); empty on MySQL (see TableModel.autoIncrement). */
  sequences: SequenceModel[];
}

export interface TableModel {
  name: string;
  columns: ColumnModel[];
  /** Column names of the primary key in key order; null when the table has none. */
  primaryKey: string[] | null;
  uniqueKeys: UniqueKeyModel[];
  /** Every index, including the ones backing the primary and unique keys. */
  indexes: IndexModel[];
  foreignKeys: ForeignKeyModel[];
  checks: CheckModel[];
  triggers: string[];
  /** Planner statistics estimate (information_schema.TABLES / pg_class.reltuples); -1 when unknown. */
  rowEstimate: number;
  /** SELECT COUNT(*), only when asked for. */
  exactRows: number | null;
  dataBytes: number;
  indexBytes: number;
  /** MySQL: next AUTO_INCREMENT value; PostgreSQL: null (sequences carry it). */
  autoIncrement: number | null;
  comment: string | null;
  /** MySQL storage engine (InnoDB, MyISAM, ...); null on PostgreSQL. */
  storageEngine: string | null;
  /** PostgreSQL: partitioned parent or partition; MySQL: partitioned table. */
  partitioned: boolean;
}

export interface ColumnModel {
  name: string;
  /** 1-based position. */
  ordinal: number;
  /** The type as the engine prints it in DDL, e.g. "tinyint(1) unsigned", "character varying(255)". */
  nativeType: string;
  /** Lower-case type name without modifiers: "tinyint", "varchar", "numeric", "timestamp with time zone". */
  dataType: string;
  nullable: boolean;
  /** Default expression as the engine reports it; null when there is none. */
  default: string | null;
  /** Generated column: its expression and whether it is stored; null for ordinary columns. */
  generated: { expression: string; stored: boolean } | null;
  /** MySQL AUTO_INCREMENT or PostgreSQL identity/serial. */
  autoIncrement: boolean;
  /** PostgreSQL identity kind, when the column is an identity column. */
  identity: 'always' | 'by default' | null;
  unsigned: boolean;
  /** Character length for char types, null otherwise. */
  length: number | null;
  /** Numeric precision and scale, or fractional-second precision in `scale` for temporal types. */
  precision: number | null;
  scale: number | null;
  charset: string | null;
  collation: string | null;
  /** ENUM / SET members (MySQL) or enum type labels (PostgreSQL), in declaration order. */
  enumValues: string[] | null;
  /** PostgreSQL: the element type for arrays ("integer" for integer[]); null otherwise. */
  arrayOf: string | null;
  /**
   * True when the column holds JSON: MySQL JSON, MariaDB's LONGTEXT + CHECK(json_valid(col)) alias,
   * PostgreSQL json/jsonb.
   */
  isJson: boolean;
  comment: string | null;
}

export interface UniqueKeyModel {
  name: string;
  columns: string[];
}

export interface IndexModel {
  name: string;
  columns: IndexColumnModel[];
  unique: boolean;
  primary: boolean;
  /** btree, hash, gin, gist, fulltext, spatial, brin, ... (lower case). */
  method: string;
  /** Partial index predicate (PostgreSQL); null otherwise. */
  predicate: string | null;
}

export interface IndexColumnModel {
  /** Column name, or null for an expression part. */
  column: string | null;
  /** The expression when `column` is null. */
  expression: string | null;
  /** MySQL prefix length (KEY (col(10))); null when the whole value is indexed. */
  prefixLength: number | null;
  descending: boolean;
}

export interface ForeignKeyModel {
  name: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  onUpdate: string;
  onDelete: string;
  /** True when the referenced columns are exactly a primary or unique key of the parent. */
  referencesUniqueKey: boolean;
  /** PostgreSQL NOT VALID: enforced for new rows, never checked against the existing ones. */
  notValidated?: true;
}

export interface CheckModel {
  name: string;
  expression: string;
  /** PostgreSQL NOT VALID (see ForeignKeyModel.notValidated). */
  notValidated?: true;
}

export interface ViewModel {
  name: string;
  definition: string;
  materialized: boolean;
}

export interface RoutineModel {
  name: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window';
  language: string;
}

export interface TriggerModel {
  name: string;
  table: string;
  /** e.g. "BEFORE INSERT", "AFTER UPDATE OR DELETE". */
  timing: string;
  definition: string;
}

export interface EventModel {
  name: string;
  schedule: string;
  status: string;
}

export interface SequenceModel {
  name: string;
  /** "table.column" when the sequence is owned by a column (serial/identity). */
  ownedBy: string | null;
  lastValue: number | null;
}

/** What is happening on a server right now, for the planner's preflight. */
export interface LiveState {
  serverVersion: string;
  activeConnections: number;
  maxConnections: number | null;
  /** Transactions open longer than the threshold asked for. */
  longTransactions: { id: string; user: string; seconds: number; state: string }[];
  /** Null when the server is not a replica. */
  replica: { lagSeconds: number | null; source: string | null } | null;
  readOnly: boolean;
  /**
   * What a read-only fence would cover, as an identity: the database (PostgreSQL: server start time,
   * port, database) or the whole server (MySQL: host, port, server id, data directory). Two
   * endpoints with the same value are fenced together.
   */
  readOnlyFenceScope: string;
  /** Settings that change capture and fencing need, by name (e.g. wal_level, binlog_format). */
  settings: Record<string, string | null>;
  /** What the connected user may do, as the capabilities the migration needs. */
  privileges: PrivilegeCheck[];
  /** Cumulative inserted/updated/deleted row counters, to measure the write rate by sampling twice. */
  writeCounters: { inserted: number; updated: number; deleted: number };
  /** Round trip of a trivial query, in milliseconds (median of a few). */
  roundTripMs: number;
}

export interface PrivilegeCheck {
  /** What it enables: "create triggers (trigger capture, trigger fence)", ... */
  capability: string;
  granted: boolean;
  /** How it was decided (the grant or the rule), for the report. */
  detail: string;
}
