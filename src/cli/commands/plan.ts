// `cutover plan <spec>`: validate the spec here (nothing starts on a bad one), run the planMigration
// workflow, and print the report as Markdown or JSON.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { MigrationSpec } from '../../spec/migration-spec';
import type { PlanReport } from '../../spec/plan-report';
import { planStatusQuery } from '../../workflows/messages';
import {
  MigrationName,
  MigrationStrategy,
  SourceEngine,
  TargetEngine,
} from '../../workflows/search-attributes';
import { renderPlanMarkdown } from '../plan-markdown';
import { describeFailure, dim, EXIT, log, red } from '../output';
import { openSession } from '../session';
import { loadSpecOrExplain } from '../spec-file';

export interface PlanOptions {
  json?: boolean;
  out?: string;
  /** Task queue for the in-process worker (the demo uses its own). */
  taskQueue?: string;
  inProcessWorker?: 'auto' | 'always';
}

export async function planCommand(specPath: string, options: PlanOptions): Promise<number> {
  const loaded = loadSpecOrExplain(specPath);
  if (!loaded) return EXIT.usage;
  const { spec } = loaded;
  const result = await runPlan(spec, options);
  if (!result.ok) return EXIT.failed;
  const text = options.json
    ? `${JSON.stringify(result.report, null, 2)}\n`
    : renderPlanMarkdown(result.report);
  if (options.out) {
    writeFileSync(options.out, text);
    log(`cutover: plan written to ${options.out}`);
  } else {
    process.stdout.write(text);
  }
  return EXIT.ok;
}

export async function runPlan(
  spec: MigrationSpec,
  options: PlanOptions,
): Promise<{ ok: true; report: PlanReport; workflowId: string } | { ok: false }> {
  const session = await openSession({
    log,
    inProcessWorker: options.inProcessWorker,
    taskQueue: options.taskQueue,
  });
  const workflowId = `plan-${spec.name}-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
  let interrupted: (() => void) | undefined;
  try {
    const handle = await session.client.workflow.start('planMigration', {
      taskQueue: session.taskQueue,
      workflowId,
      args: [spec],
      // An in-process plan whose command was killed outright is never picked up again: let it end.
      workflowExecutionTimeout: session.inProcess ? '7 days' : undefined,
      typedSearchAttributes: [
        { key: MigrationName, value: spec.name },
        { key: SourceEngine, value: spec.source.engine },
        { key: TargetEngine, value: spec.target.engine },
        { key: MigrationStrategy, value: spec.strategy },
      ],
    });
    log(
      dim(
        `cutover: planning ${spec.name} as workflow ${workflowId}${session.uiUrl ? ` (${session.uiUrl}/namespaces/default/workflows/${workflowId})` : ''}`,
      ),
    );
    // Ctrl-C stops the plan too: with the worker in this process nothing else would finish it, and
    // a plan only reads, so terminating it leaves nothing behind (its temporary table dies with
    // its session).
    interrupted = () => {
      log(red(`cutover: interrupted: stopping plan ${workflowId}`));
      const stop = session.inProcess ? handle.terminate('interrupted from the CLI') : handle.cancel();
      void stop.finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    let last = '';
    const poll = setInterval(() => {
      handle
        .query(planStatusQuery)
        .then((s) => {
          const line = `${s.phase}: ${s.detail}`;
          if (line !== last) log(dim(`cutover:   ${line}`));
          last = line;
        })
        .catch(() => undefined);
    }, 500);
    try {
      const report = (await session.run(handle.result())) as PlanReport;
      return { ok: true, report, workflowId };
    } finally {
      clearInterval(poll);
    }
  } catch (err) {
    const failure = describeFailure(err);
    log(
      red(
        `cutover: plan ${workflowId} failed${failure.type ? ` (${failure.type})` : ''}: ${failure.message}`,
      ),
    );
    return { ok: false };
  } finally {
    if (interrupted) {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
    }
    await session.close();
  }
}
