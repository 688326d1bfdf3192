// `cutover approve <id> --approver NAME [--comment TEXT]`: the approveCutover update. The workflow's
// validator decides (awaiting approval, an allowed approver, not twice); its refusal is printed as is.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveCutoverUpdate } from '../../workflows/messages';
import { findMigrationOrExplain, within, workerPolls } from '../migration-view';
import { describeFailure, EXIT, log, red } from '../output';
import { clientSession } from './status';

export interface ApproveOptions {
  approver: string;
  comment?: string;
  json?: boolean;
}

const UPDATE_TIMEOUT_MS = 30_000;

export async function approveCommand(id: string, options: ApproveOptions): Promise<number> {
  const approver = options.approver.trim();
  if (!approver) {
    log(red('cutover: --approver must name the person approving'));
    return EXIT.usage;
  }
  const session = await clientSession();
  try {
    const found = await findMigrationOrExplain(session.client, id);
    if (!found) return EXIT.failed;
    const { handle, description } = found;
    if (description.status.name !== 'RUNNING') {
      log(
        red(
          `cutover: ${description.workflowId} is ${description.status.name.toLowerCase()}: nothing to approve`,
        ),
      );
      return EXIT.failed;
    }
    // An update is validated by a worker: without one it would wait, not answer.
    if (!(await workerPolls(session.client, description.taskQueue))) {
      log(
        red(
          `cutover: no worker polls task queue ${description.taskQueue}: the approval cannot be checked now (start one with \`cutover worker\`)`,
        ),
      );
      return EXIT.failed;
    }
    try {
      const approval = await within(session.client, UPDATE_TIMEOUT_MS, 'the workflow', () =>
        handle.executeUpdate(approveCutoverUpdate, {
          args: [{ approver, ...(options.comment ? { comment: options.comment } : {}) }],
        }),
      );
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ workflowId: description.workflowId, approver, approval }, null, 2)}\n`,
        );
      } else {
        const left = approval.required - approval.approvals.length;
        process.stdout.write(
          `approved by ${approver}: ${approval.approvals.length}/${approval.required} approvals${
            left > 0
              ? ` (${left} more needed)`
              : approval.window
                ? ` (the cutover starts inside ${approval.window.start}-${approval.window.end} UTC)`
                : ' (the cutover proceeds)'
          }\n`,
        );
      }
      return EXIT.ok;
    } catch (err) {
      const verdict = err instanceof WorkflowUpdateFailedError ? 'rejected' : 'failed';
      log(red(`cutover: approval ${verdict}: ${describeFailure(err).message}`));
      return EXIT.failed;
    }
  } finally {
    await session.close();
  }
}
