// Row access on one database, engine-neutral: what the copier, the change applier and the validator
// need (src/engines/<kind>/rows.ts implements it on the engine's pool). Values in wire form
// (docs/DATAPLANE.md); keys and ranges as in key-range.ts.
import type { Readable } from 'node:stream';
import type { Key, KeyRange } from './key-range';
import type { EngineKind } from './model';

export type Rows = readonly (readonly unknown[])[];

export interface ReplaceOptions {
  /** 'range' (default) deletes the whole range first; 'keys' only the loaded rows' keys. */
  deleteBy?: 'range' | 'keys';
}

export interface RowsEngine {
  readonly kind: EngineKind;
  keyBounds(
    schema: string,
    table: string,
    key: string[],
  ): Promise<{ min: Key | null; max: Key | null; rowsEstimate: number }>;
  splitPoints(schema: string, table: string, key: string[], n: number): Promise<Key[]>;
  readRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    limit: number,
  ): Promise<unknown[][]>;
  readByKeys(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    keys: Key[],
  ): Promise<unknown[][]>;
  replaceRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    rows: Rows,
    options?: ReplaceOptions,
  ): Promise<number>;
  upsertRows(schema: string, table: string, columns: string[], key: string[], rows: Rows): Promise<number>;
  deleteRows(schema: string, table: string, key: string[], keys: Key[]): Promise<number>;
  /** Releases what this row access opened itself; row access borrowed from an Engine closes nothing. */
  close(): Promise<void>;
  /**
   * Same-engine passthrough (optional): rows moved in the engine's own bulk text format, never
   * decoded. Absent on engines that do not offer it; the copier then reads and writes rows.
   */
  readonly raw?: RawRowAccess;
}

/** One chunk being read from a source in its raw format (see RawRowAccess.readRange). */
export interface RawChunk {
  /** The rows' bytes in the raw format, in key order. */
  readonly stream: Readable;
  /** The number of rows the source sent, once the stream has ended; rejects when the read failed. */
  readonly rows: Promise<number>;
  /** Stop reading early (the target failed) and release the source's session; no-op once ended. */
  destroy(err?: Error): void;
}

export interface RawRowAccess {
  /**
   * The raw format of this database's sessions: the format's name plus every session setting that
   * shapes how values print and parse (PostgreSQL: DateStyle, IntervalStyle, extra_float_digits,
   * bytea_output, TimeZone, encodings, lc_monetary). Two databases whose formats are equal print and
   * parse column values of the same type identically, so bytes read from one load as the same values
   * into the other. Null when the sessions cannot pass rows through exactly.
   */
  format(): Promise<string | null>;
  /**
   * The key of the n-th row of the range in key order (the end of a chunk of n rows), or null when
   * the range holds fewer than n rows. A key-only query: chunks are cut by key before they are read.
   */
  nthKey(schema: string, table: string, key: string[], range: KeyRange, n: number): Promise<Key | null>;
  /**
   * Start reading every row of the range in key order in the raw format, in one statement (one
   * consistent snapshot for the chunk). `format` must still be this session's format.
   */
  readRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    format: string,
  ): Promise<RawChunk>;
  /**
   * replaceRange with the rows of a raw chunk from another database of the same format: delete the
   * range and load the chunk in one transaction (idempotent like replaceRange; deletes by range
   * only). `openChunk` starts the source's read (e.g. the source's readRange); it is called once
   * this side holds its session, so a source session is never held by a chunk whose target waits
   * for one. The chunk is always consumed or destroyed. Returns the rows loaded and bytes streamed.
   */
  replaceRange(
    schema: string,
    table: string,
    columns: string[],
    key: string[],
    range: KeyRange,
    openChunk: () => Promise<RawChunk>,
    format: string,
  ): Promise<{ rows: number; bytes: number }>;
}
