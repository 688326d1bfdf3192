// Change capture on one database, with the engine's dialect hidden: src/engines/<kind>/capture.ts bound
// to a pool. Trigger capture is the only method today; log-based capture would be chosen here too.
import type { ChangeCapture } from '../../engines/capture';
import type { EngineKind } from '../../engines/model';
import { triggerCapture as mysqlTriggerCapture } from '../../engines/mysql/capture';
import { createPool as createMysqlPool } from '../../engines/mysql/engine';
import { triggerCapture as postgresTriggerCapture } from '../../engines/postgres/capture';
import { createPool as createPgPool } from '../../engines/postgres/engine';

export interface OpenCapture extends ChangeCapture {
  /** Ends the pool opened for this capture (the capture's database objects stay). */
  close(): Promise<void>;
}

/** Trigger capture of `schema` from a resolved connection URL; close() ends its pool. */
export function openTriggerCapture(kind: EngineKind, url: string, schema: string): OpenCapture {
  if (kind === 'postgres') {
    const pool = createPgPool(url);
    return { ...postgresTriggerCapture(pool, schema), close: () => pool.end() };
  }
  const pool = createMysqlPool(url);
  return { ...mysqlTriggerCapture(pool, schema), close: () => pool.end() };
}
