// `cutover start <spec>`: validate the spec here (nothing starts on a bad one), then start the
// blueGreenMigration workflow on the shared task queue and print its id. No worker runs in this
// process: the migration must outlive the command, so `cutover worker` processes run it.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TASK_QUEUE } from '../../temporal/config';
import { migrationWorkflowId } from '../../workflows/messages';
import {
  MigrationName,
  MigrationPhase,
  MigrationStrategy,
  SourceEngine,
  TargetEngine,
} from '../../workflows/search-attributes';
import { WORKFLOW_TYPE } from '../migration-view';
import { describeFailure, dim, EXIT, log, red } from '../output';
import { openSession } from '../session';
import { loadSpecOrExplain } from '../spec-file';
import { watchCommand } from './status';

export interface StartOptions {
  json?: boolean;
  watch?: boolean;
}

export function webUiLink(uiUrl: string | null, namespace: string, workflowId: string): string | null {
  return uiUrl
    ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : null;
}

export async function startCommand(specPath: string, options: StartOptions): Promise<number> {
  const loaded = loadSpecOrExplain(specPath);
  if (!loaded) return EXIT.usage;
  const { spec, input } = loaded;
  if (spec.strategy !== 'blue-green') {
    log(
      red(
        `cutover: ${specPath}: strategy: ${spec.strategy} migrations cannot be started yet (blue-green only)`,
      ),
    );
    return EXIT.usage;
  }
  const workflowId = migrationWorkflowId(spec.name);
  const session = await openSession({ log, inProcessWorker: 'never', taskQueue: TASK_QUEUE });
  try {
    let runId: string;
    try {
      const handle = await session.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: session.taskQueue,
        workflowId,
        // The spec as written: the workflow applies the defaults itself, like a spec from the Web UI.
        args: [input],
        typedSearchAttributes: [
          { key: MigrationName, value: spec.name },
          { key: MigrationPhase, value: 'validating-spec' },
          { key: SourceEngine, value: spec.source.engine },
          { key: TargetEngine, value: spec.target.engine },
          { key: MigrationStrategy, value: spec.strategy },
        ],
      });
      runId = handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        log(
          red(
            `cutover: migration ${spec.name} is already running as workflow ${workflowId}: see \`cutover status ${workflowId}\`, or roll it back first`,
          ),
        );
        return EXIT.failed;
      }
      log(red(`cutover: could not start ${workflowId}: ${describeFailure(err).message}`));
      return EXIT.failed;
    }
    const link = webUiLink(session.uiUrl, session.namespace, workflowId);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ workflowId, runId, migration: spec.name, taskQueue: session.taskQueue, webUi: link })}\n`,
      );
    } else {
      process.stdout.write(`${workflowId}\n`);
    }
    log(
      dim(
        `cutover: started migration ${spec.name} (${spec.source.engine} -> ${spec.target.engine}) as workflow ${workflowId} on task queue ${session.taskQueue}${link ? `\ncutover: Web UI ${link}` : ''}`,
      ),
    );
    if (!options.watch) log(dim(`cutover: follow it with \`cutover watch ${workflowId}\``));
  } finally {
    await session.close();
  }
  return options.watch ? watchCommand(workflowId, { json: options.json }) : EXIT.ok;
}
