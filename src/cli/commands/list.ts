// `cutover list [--all] [--json]`: blue-green migrations from Temporal's visibility store (running
// ones by default), with the phase their workflow last published as the MigrationPhase attribute.
import { MigrationName, MigrationPhase } from '../../workflows/search-attributes';
import { WORKFLOW_TYPE } from '../migration-view';
import { EXIT } from '../output';
import { styleFor } from '../status-render';
import { clientSession } from './status';

export interface ListOptions {
  all?: boolean;
  json?: boolean;
  limit?: string;
}

export interface ListedMigration {
  workflowId: string;
  runId: string;
  name: string | null;
  phase: string | null;
  status: string;
  startTime: string;
  closeTime: string | null;
  taskQueue: string;
}

export async function listCommand(options: ListOptions): Promise<number> {
  const limit = options.limit === undefined ? 100 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`cutover: --limit must be a positive integer\n`);
    return EXIT.usage;
  }
  const session = await clientSession();
  try {
    // A migration that continued-as-new is one migration: list its latest run only.
    const query = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus ${options.all ? "!= 'ContinuedAsNew'" : "= 'Running'"}`;
    const rows: ListedMigration[] = [];
    for await (const w of session.client.workflow.list({ query })) {
      rows.push({
        workflowId: w.workflowId,
        runId: w.runId,
        name: w.typedSearchAttributes.get(MigrationName) ?? null,
        phase: w.typedSearchAttributes.get(MigrationPhase) ?? null,
        status: w.status.name,
        startTime: w.startTime.toISOString(),
        closeTime: w.closeTime?.toISOString() ?? null,
        taskQueue: w.taskQueue,
      });
      if (rows.length >= limit) break;
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    if (!rows.length) {
      process.stderr.write(`cutover: no ${options.all ? '' : 'running '}migrations\n`);
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const table = [
      ['ID', 'NAME', 'PHASE', 'STARTED', 'STATUS'],
      ...rows.map((r) => [r.workflowId, r.name ?? '-', r.phase ?? '-', r.startTime, r.status.toLowerCase()]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    table.forEach((row, i) => {
      const line = row.map((cell, j) => (j === row.length - 1 ? cell : cell.padEnd(widths[j]!))).join('  ');
      process.stdout.write(`${i === 0 ? style.bold(line) : line}\n`);
    });
    return EXIT.ok;
  } finally {
    await session.close();
  }
}
