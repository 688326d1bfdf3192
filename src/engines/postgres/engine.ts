// The PostgreSQL engine: one small pool per connection reference, with exact result types and UTC
// sessions, behind the engine-neutral Engine interface.
import pg from 'pg';
import type { ColumnProbe, Engine, IntrospectOptions, ProbeResult, SampleBatch } from '../engine';
import type { LiveState, SchemaModel } from '../model';
import { introspectSchema } from './introspect';
import { readLiveState, tableWriteCounters, type LiveStateOptions } from './live-state';
import { probeTable, readSample } from './probes';
import { qualify, quoteIdent } from './quote';
import { exactTypes } from './result-types';
import { scratchLoad } from './scratch';

export interface PostgresEngine extends Engine {
  readonly kind: 'postgres';
  /** Accepts `schema` too: the schema whose tables the trigger privilege is checked on. */
  liveState(options?: LiveStateOptions): Promise<LiveState>;
  /** Cumulative rows inserted + updated + deleted per table of the schema (sample twice for rates). */
  tableWriteCounters(schema: string): Promise<Record<string, number>>;
}

/**
 * Parse the connection string once, up front. A parse error from the URL parser carries the whole
 * string (password included) in its `input` property, so it is replaced by one that names nothing.
 */
function checkConnectionString(url: string): void {
  try {
    new pg.Client({ connectionString: url });
  } catch {
    throw new Error(
      'the PostgreSQL connection string is not valid (its value is not shown: it may contain a password)',
    );
  }
}

export function createPostgresEngine(url: string): PostgresEngine {
  checkConnectionString(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    application_name: 'cutover',
    types: exactTypes,
    // Awaited before the connection is handed out: timestamptz text never depends on the server's
    // zone. A failure here fails the checkout instead of leaving a session in another zone.
    onConnect: async (client) => {
      await client.query(`SET TIME ZONE 'UTC'`);
    },
  });
  // An idle connection that dies (server restart, database dropped) must not crash the process; the
  // pool discards it and the next checkout opens a new one.
  pool.on('error', () => undefined);

  const defaultSchema = async (): Promise<string> => {
    const { rows } = await pool.query<{ schema: string | null }>('SELECT current_schema()::text AS schema');
    return rows[0]?.schema ?? 'public';
  };

  return {
    kind: 'postgres',
    quoteIdent,
    qualify,
    defaultSchema,
    async introspect(options: IntrospectOptions = {}): Promise<SchemaModel> {
      return introspectSchema(pool, options.schema ?? (await defaultSchema()), options);
    },
    liveState: (options?: LiveStateOptions) => readLiveState(pool, options),
    tableWriteCounters: (schema: string) => tableWriteCounters(pool, schema),
    probe: (schema: string, table: string, probes: ColumnProbe[]): Promise<ProbeResult[]> =>
      probeTable(pool, schema, table, probes),
    readSample: (schema: string, table: string, columns: string[], limit: number): Promise<SampleBatch> =>
      readSample(pool, schema, table, columns, limit),
    scratchLoad: (columns, key, batch) => scratchLoad(pool, columns, key, batch),
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
