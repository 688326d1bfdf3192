// Open an engine for a resolved connection URL. The only place that picks a dialect by kind.
import type { Engine } from './engine';
import type { EngineKind } from './model';
import { createMysqlEngine } from './mysql/engine';
import { createPostgresEngine } from './postgres/engine';

export function openEngine(kind: EngineKind, url: string): Engine {
  return kind === 'postgres' ? createPostgresEngine(url) : createMysqlEngine(url);
}
