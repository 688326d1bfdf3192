// Row access on one database, engine-neutral: what the copier, the change applier and the validator
// need (src/engines/<kind>/rows.ts implements it on the engine's pool). Values in wire form
// (docs/DATAPLANE.md); keys and ranges as in key-range.ts.
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
}
