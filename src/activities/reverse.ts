// Reverse replication activities, for the blue-green rollback window. After the cutover the
// applications write to the TARGET; the workflow
//   1. removes the forward capture on the source (removeCapture({source})): otherwise every row the
//      reverse applier writes into the source is captured again by the forward changelog (the echo);
//   2. prepareReverse: the target introspected, each forward move reversed (target -> source);
//   3. installCapture({ source: target, tables: reversed keys }) and, repeatedly,
//      catchUp({ source: target, target: source, tables: reversed, position }) — the existing
//      activities with their roles swapped;
//   4. on rollback, after the last catch-up: advanceSourceSequences, so that the first insert on the
//      source after the switch back does not collide with a row that came back from the target.
import { ApplicationFailure } from '@temporalio/common';
import { reverseTableMoves, sourceSequencePlan, type SourceSequence } from '../dataplane/reverse';
import type { CaptureTable } from '../engines/capture';
import { adapt, heartbeat, withEngine } from './adapter';
import { planMove, schemaOf, type EndpointRef, type TableMove } from './tables';

export interface PrepareReverseInput {
  /** The forward move's source (the reverse move writes to it). */
  source: EndpointRef;
  /** The forward move's target (the reverse move captures and reads it). */
  target: EndpointRef;
  /** The forward moves, as the copy and catch-up ran them. */
  tables: TableMove[];
  /**
   * "<source table>.<source column>" the operator accepted to replicate back although the plan
   * reported it as not reverse-lossless (a value that does not fit fails the reverse catch-up).
   */
  acceptLossy?: string[];
}

export interface PrepareReverseResult {
  /** The reverse moves (target -> source): pass them to catchUp({ source: target, target: source }). */
  tables: TableMove[];
  /** For installCapture({ source: target, tables: capture }): each target table and its key. */
  capture: CaptureTable[];
  /** Accepted risks and columns that are not written back. */
  notes: string[];
}

/** Reverse every forward move against the target as it is now; refuses naming every bad column. */
export const prepareReverse = adapt(async (input: PrepareReverseInput): Promise<PrepareReverseResult> =>
  withEngine(input.target, async (engine) => {
    const schema = await schemaOf(engine, input.target);
    heartbeat({ stage: 'introspecting', tables: input.tables.length });
    const model = await engine.introspect({ schema });
    const { tables, notes } = reverseTableMoves(input.tables, model.tables, {
      from: input.source.engine,
      to: input.target.engine,
      acceptLossy: input.acceptLossy,
    });
    // Refuse now, not at the first change: every reverse move must be one the applier can run.
    const capture = tables.map((t) => {
      const m = planMove(input.target.engine, input.source.engine, t);
      return { table: m.sourceTable, key: m.key };
    });
    return { tables, capture, notes };
  }),
);

export interface AdvanceSourceSequencesInput {
  source: EndpointRef;
  target: EndpointRef;
  /** The FORWARD moves (source -> target). */
  tables: TableMove[];
  /** Per statement, in milliseconds (default 5000). */
  lockTimeoutMs?: number;
}

export interface AdvanceSourceSequencesResult {
  schema: string;
  /** Every auto-increment column of the moved tables and the least next value it was given. */
  sequences: SourceSequence[];
  applied: number;
}

/**
 * The finalize step in reverse: the source's AUTO_INCREMENT counters / identity and serial
 * sequences set past max(column) of the rows now on the source (rows inserted on the target during
 * the rollback window came back with the target's ids), never lower than the source's own next
 * value nor the target's. Idempotent; run after the last reverse catch-up, before the
 * applications write to the source again.
 */
export const advanceSourceSequences = adapt(
  async (input: AdvanceSourceSequencesInput): Promise<AdvanceSourceSequencesResult> =>
    withEngine(input.source, (source) =>
      withEngine(input.target, async (target) => {
        const schema = await schemaOf(source, input.source);
        heartbeat({ stage: 'introspecting' });
        const [sourceModel, targetModel] = await Promise.all([
          source.introspect({ schema }),
          target.introspect({ schema: await schemaOf(target, input.target) }),
        ]);
        const { plan, sequences } = sourceSequencePlan(input.tables, sourceModel, targetModel);
        let statements = 0;
        try {
          const r = await source.ddl.setSequencesPastMax(plan, {
            lockTimeoutMs: input.lockTimeoutMs,
            onStatement: () => heartbeat({ stage: 'advancing', statements: ++statements }),
          });
          return { schema, sequences, applied: r.applied };
        } catch (err) {
          if (!source.ddl.isLockTimeout(err)) throw err;
          // Nothing was changed, and every statement is idempotent: a retry finishes the step.
          throw ApplicationFailure.create({
            type: 'LockTimeout',
            message: `setting a source counter gave up waiting for a lock (nothing was changed; it is retried): ${
              err instanceof Error ? err.message : String(err)
            }`,
            nonRetryable: false,
          });
        }
      }),
    ),
);
