// Change capture on one database, with the engine's dialect hidden. It is part of the Engine
// (engine.capture(schema), on the engine's own pool); openTriggerCapture opens it from a URL.
import type { ChangeCapture } from '../../engines/capture';
import { openEngine } from '../../engines';
import type { EngineKind } from '../../engines/model';

export interface OpenCapture extends ChangeCapture {
  /** Ends the pool opened for this capture (the capture's database objects stay). */
  close(): Promise<void>;
}

/** Trigger capture of `schema` from a resolved connection URL; close() ends its pool. */
export function openTriggerCapture(kind: EngineKind, url: string, schema: string): OpenCapture {
  const engine = openEngine(kind, url);
  return { ...engine.capture(schema), close: () => engine.close() };
}
