// The `cutover` command.
import { Command, CommanderError } from 'commander';
import { planCommand } from './commands/plan';
import { serverCommand } from './commands/server';
import { workerCommand } from './commands/worker';
import { describeFailure, EXIT, log, red } from './output';

const program = new Command('cutover')
  .description('Durable, crash-proof database migrations on Temporal')
  .showHelpAfterError()
  // Usage errors exit 2 (help and --version 0), not commander's default 1.
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('plan')
  .description(
    'plan a migration: volume, dependencies, type compatibility, live state, measured time estimates, risks',
  )
  .argument('<spec>', 'migration spec (JSON or YAML)')
  .option('--json', 'print the plan as JSON (schema: docs/PLAN.md)')
  .option('-o, --out <file>', 'write the plan to a file instead of stdout')
  .action(async (spec: string, opts: { json?: boolean; out?: string }) => {
    process.exitCode = await planCommand(spec, opts);
  });

program
  .command('server')
  .description('run the local Temporal dev server (persistent, Web UI, search attributes registered)')
  .option('--port <port>', 'gRPC port', process.env.CUTOVER_DEV_SERVER_PORT ?? '7233')
  .option('--ui-port <port>', 'Web UI port', process.env.CUTOVER_DEV_UI_PORT ?? '8233')
  .option('--db-file <path>', 'SQLite file that keeps workflows across restarts')
  .action(async (opts: { port: string; uiPort: string; dbFile?: string }) => {
    process.exitCode = await serverCommand(opts);
  });

program
  .command('worker')
  .description(
    'run a worker for TEMPORAL_ADDRESS (or the local dev server); database URLs come from CUTOVER_DB_<NAME>',
  )
  .action(async () => {
    process.exitCode = await workerCommand();
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  log(red(`cutover: ${describeFailure(err).message}`));
  process.exitCode = EXIT.failed;
});
