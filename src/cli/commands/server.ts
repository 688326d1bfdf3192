// `cutover server`: the Temporal dev server in the foreground, with a persistent SQLite file, the
// Web UI and cutover's search attributes.
import { join } from 'node:path';
import { dataDir, startDevServer } from '../../temporal/dev-server';
import { log } from '../output';

export async function serverCommand(options: {
  port: string;
  uiPort: string;
  dbFile?: string;
}): Promise<number> {
  const server = await startDevServer({
    port: Number(options.port),
    uiPort: Number(options.uiPort),
    dbFile: options.dbFile ?? join(dataDir(), 'temporal.db'),
  });
  log(`cutover: Temporal dev server on ${server.address}, Web UI ${server.uiUrl}; Ctrl-C stops it`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
  return 0;
}
