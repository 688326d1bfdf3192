// Inspect one side for the planner: the schema, the live state, and the write rate measured by
// reading the engine's row counters twice, `observeSeconds` apart.
import type { Engine } from '../../engines/engine';
import type { LiveState, SchemaModel } from '../../engines/model';
import type { SideState } from '../../spec/plan-report';

export interface InspectOptions {
  schema?: string;
  exactCounts: boolean;
  observeSeconds: number;
  longTransactionSeconds: number;
  /** Called while waiting, so a caller can heartbeat or notice cancellation. */
  onProgress?: (stage: string) => void;
  signal?: AbortSignal;
}

export interface Inspection {
  schema: SchemaModel;
  live: SideState;
  /** Rows written per second by table, where the engine counts per table (PostgreSQL). */
  tableWritesPerSecond: Record<string, number> | null;
}

interface PerTableCounters {
  tableWriteCounters(schema: string): Promise<Record<string, number>>;
}

function hasTableCounters(engine: Engine): engine is Engine & PerTableCounters {
  return typeof (engine as Partial<PerTableCounters>).tableWriteCounters === 'function';
}

const total = (c: LiveState['writeCounters']): number => c.inserted + c.updated + c.deleted;

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
    });
  });
}

export async function inspectSide(engine: Engine, options: InspectOptions): Promise<Inspection> {
  const schemaName = options.schema ?? (await engine.defaultSchema());
  options.onProgress?.('introspecting');
  const schema = await engine.introspect({
    schema: schemaName,
    exactCounts: options.exactCounts,
    countUnanalysed: true,
  });

  options.onProgress?.('observing writes');
  const before = await engine.liveState({
    longTransactionSeconds: options.longTransactionSeconds,
    schema: schemaName,
  });
  const tablesBefore = hasTableCounters(engine) ? await engine.tableWriteCounters(schemaName) : null;
  const started = Date.now();
  const deadline = started + options.observeSeconds * 1000;
  while (Date.now() < deadline) {
    await sleep(Math.min(1000, deadline - Date.now()), options.signal);
    options.onProgress?.('observing writes');
  }
  const after = await engine.liveState({
    longTransactionSeconds: options.longTransactionSeconds,
    schema: schemaName,
  });
  const tablesAfter = hasTableCounters(engine) ? await engine.tableWriteCounters(schemaName) : null;
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);

  let tableWritesPerSecond: Record<string, number> | null = null;
  if (tablesBefore && tablesAfter) {
    tableWritesPerSecond = {};
    for (const [table, n] of Object.entries(tablesAfter)) {
      tableWritesPerSecond[table] = Math.max(0, n - (tablesBefore[table] ?? n)) / seconds;
    }
  }
  return {
    schema,
    tableWritesPerSecond,
    live: {
      engine: engine.kind,
      serverVersion: after.serverVersion,
      schema: schemaName,
      activeConnections: after.activeConnections,
      maxConnections: after.maxConnections,
      longTransactions: after.longTransactions,
      replica: after.replica,
      readOnly: after.readOnly,
      readOnlyFenceScope: after.readOnlyFenceScope,
      settings: after.settings,
      privileges: after.privileges,
      writesPerSecond: Math.max(0, total(after.writeCounters) - total(before.writeCounters)) / seconds,
      roundTripMs: after.roundTripMs,
    },
  };
}
