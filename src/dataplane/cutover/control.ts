// Open the cutover control (fence + routing) of one endpoint from a resolved connection URL: the one
// place that picks the dialect for src/engines/<kind>/fence.ts.
import type { CutoverControl } from '../../engines/cutover-control';
import type { EngineKind } from '../../engines/model';
import { createMysqlCutoverControl } from '../../engines/mysql/fence';
import { createPostgresCutoverControl } from '../../engines/postgres/fence';

export function openCutoverControl(kind: EngineKind, url: string): CutoverControl {
  return kind === 'postgres' ? createPostgresCutoverControl(url) : createMysqlCutoverControl(url);
}
