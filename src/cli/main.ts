// The `cutover` command.
import { Command, CommanderError } from 'commander';
import { approveCommand } from './commands/approve';
import {
  finalizeCommand,
  pauseCommand,
  resumeCommand,
  rollbackCommand,
  throttleCommand,
} from './commands/control';
import { listCommand } from './commands/list';
import { planCommand } from './commands/plan';
import { startCommand } from './commands/start';
import { statusCommand, watchCommand } from './commands/status';
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
  .command('start')
  .description(
    'validate a spec and start its blue-green migration (workflow cutover-<name>); `cutover worker` processes run it',
  )
  .argument('<spec>', 'migration spec (JSON or YAML)')
  .option('--json', 'print {workflowId, runId, ...} as JSON')
  .option('--watch', 'watch the migration once started')
  .action(async (spec: string, opts: { json?: boolean; watch?: boolean }) => {
    process.exitCode = await startCommand(spec, opts);
  });

program
  .command('status')
  .description(
    'show a migration: phase, copy progress (live), lag, validation, approvals, fence, routing, rollback; exit 1 if it failed',
  )
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--json', 'print the status as JSON')
  .action(async (id: string, opts: { json?: boolean }) => {
    process.exitCode = await statusCommand(id, opts);
  });

program
  .command('watch')
  .description(
    'follow a migration (progress bars, rows/s, ETA, lag) until it ends or awaits approval; Ctrl-C stops watching only',
  )
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--json', 'print the status as JSON, one line per change')
  .action(async (id: string, opts: { json?: boolean }) => {
    process.exitCode = await watchCommand(id, opts);
  });

program
  .command('approve')
  .description('approve the cutover of a migration that awaits approval')
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .requiredOption('--approver <name>', 'who approves (recorded; must be listed in approval.approvers if any)')
  .option('--comment <text>', 'a comment recorded with the approval')
  .option('--json', 'print the approvals as JSON')
  .action(async (id: string, opts: { approver: string; comment?: string; json?: boolean }) => {
    process.exitCode = await approveCommand(id, opts);
  });

program
  .command('rollback')
  .description(
    'roll a migration back (before the cutover: stop and clean up; after: switch back to the source)',
  )
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .requiredOption('--reason <text>', 'why (recorded in the workflow)')
  .option('--json', 'print what was sent as JSON')
  .action(async (id: string, opts: { reason: string; json?: boolean }) => {
    process.exitCode = await rollbackCommand(id, opts);
  });

program
  .command('pause')
  .description('pause the copy (between chunks); change capture keeps recording')
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--json', 'print what was sent as JSON')
  .action(async (id: string, opts: { json?: boolean }) => {
    process.exitCode = await pauseCommand(id, opts);
  });

program
  .command('resume')
  .description('resume a paused copy')
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--json', 'print what was sent as JSON')
  .action(async (id: string, opts: { json?: boolean }) => {
    process.exitCode = await resumeCommand(id, opts);
  });

program
  .command('throttle')
  .description('set the copy row rate limit per table (from the next table on)')
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--rows-per-second <n>', 'at most this many rows per second per table')
  .option('--unlimited', 'no rate limit')
  .option('--json', 'print what was sent as JSON')
  .action(async (id: string, opts: { rowsPerSecond?: string; unlimited?: boolean; json?: boolean }) => {
    process.exitCode = await throttleCommand(id, opts);
  });

program
  .command('finalize')
  .description('end the rollback window now (reverse replication stops; the source is retired)')
  .argument('<id>', 'workflow id (cutover-<name>) or migration name')
  .option('--json', 'print what was sent as JSON')
  .action(async (id: string, opts: { json?: boolean }) => {
    process.exitCode = await finalizeCommand(id, opts);
  });

program
  .command('list')
  .description('list blue-green migrations (running ones unless --all)')
  .option('--all', 'include closed migrations')
  .option('--limit <n>', 'at most this many', '100')
  .option('--json', 'print the list as JSON')
  .action(async (opts: { all?: boolean; json?: boolean; limit?: string }) => {
    process.exitCode = await listCommand(opts);
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
