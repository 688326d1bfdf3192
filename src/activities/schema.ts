// Target schema activities: translate the source model into a DDL plan and apply one phase of it
// (tables before the copy, post-load after it, finalize after catch-up), and the compensation,
// dropTargetSchema, which drops exactly what the plan creates. Each statement is idempotent, so a
// retry finishes a phase a crashed attempt began. A lock timeout changed nothing: it leaves as a
// retryable LockTimeout failure.
import { ApplicationFailure } from '@temporalio/common';
import { withSourceCounters } from '../dataplane/schema/sequences';
import { translateSchema, type TranslateInput } from '../dataplane/schema/translate';
import type { DdlPhase, DdlPlan } from '../engines/ddl-plan';
import type { Engine, ProbeResult } from '../engines/engine';
import type { SchemaModel } from '../engines/model';
import type { CheckOverride, ColumnOverride } from '../spec/migration-spec';
import { adapt, checkpoint, heartbeat, withEngine } from './adapter';
import { schemaOf, type EndpointRef } from './tables';

export interface PrepareTargetSchemaInput {
  target: EndpointRef;
  phase: DdlPhase;
  /** The plan an earlier call returned; absent: translate it from `translate`. */
  plan?: DdlPlan;
  translate?: {
    source: SchemaModel;
    tables?: string[];
    overrides?: Record<string, ColumnOverride>;
    checks?: Record<string, CheckOverride>;
    probeResults?: Record<string, ProbeResult[]>;
    mappings?: TranslateInput['mappings'];
  };
  /**
   * finalize: the source, whose counters are read when the phase runs (the workflow runs it under
   * the source's write fence): the target's sequences / AUTO_INCREMENT go past them, not just past
   * the counters the plan recorded, so that no id the source handed out since (and deleted, or
   * burned in a rolled-back insert) is handed out again. Absent: the plan's counters.
   */
  source?: EndpointRef;
  /** Per statement, in milliseconds (default 5000). */
  lockTimeoutMs?: number;
  /**
   * The tables phase refuses to start when an object it would create exists already (it is someone
   * else's, and the compensation would drop it). True: the caller knows they are cutover's own.
   */
  allowExisting?: boolean;
}

export interface PrepareTargetSchemaResult {
  plan: DdlPlan;
  phase: DdlPhase;
  applied: number;
  skipped: number;
}

/** The heartbeat: how far the phase got (a retry knows the objects it finds are its own). */
interface SchemaHeartbeat {
  phase: DdlPhase;
  statements: number;
}

export const prepareTargetSchema = adapt(
  async (input: PrepareTargetSchemaInput): Promise<PrepareTargetSchemaResult> =>
    withEngine(input.target, async (engine) => {
      const t = input.translate;
      if (!input.plan && !t) throw refused('prepareTargetSchema needs a plan or a source model to translate');
      let plan =
        input.plan ??
        translateSchema({
          source: t!.source,
          targetEngine: engine.kind,
          targetSchema: await schemaOf(engine, input.target),
          tables: t!.tables,
          overrides: t!.overrides,
          checks: t!.checks,
          probeResults: t!.probeResults,
          mappings: t!.mappings,
        });
      if (plan.to !== engine.kind)
        throw refused(`the DDL plan is for ${plan.to}, but the target connection is ${engine.kind}`);
      if (input.phase === 'finalize' && input.source && input.source.engine !== plan.from)
        throw refused(
          `the DDL plan is from ${plan.from}, but the source connection is ${input.source.engine}`,
        );
      const retry = checkpoint<SchemaHeartbeat>()?.phase === input.phase;
      if (input.phase === 'tables' && !input.allowExisting && !retry) await refuseExisting(engine, plan);
      let statements = 0;
      heartbeat({ phase: input.phase, statements } satisfies SchemaHeartbeat);
      if (input.phase === 'finalize' && input.source)
        plan = withSourceCounters(plan, await introspect(input.source));
      try {
        const r = await engine.ddl.applyPhase(plan, input.phase, {
          lockTimeoutMs: input.lockTimeoutMs,
          onStatement: () =>
            heartbeat({ phase: input.phase, statements: ++statements } satisfies SchemaHeartbeat),
        });
        return { plan, phase: input.phase, applied: r.applied, skipped: r.skipped };
      } catch (err) {
        throw lockTimeout(engine.ddl.isLockTimeout(err), err);
      }
    }),
);

/** The endpoint's schema as it is now (the same reading of the counters as advanceSourceSequences). */
async function introspect(endpoint: EndpointRef): Promise<SchemaModel> {
  return withEngine(endpoint, async (engine) =>
    engine.introspect({ schema: await schemaOf(engine, endpoint) }),
  );
}

/**
 * Refuses (RefusedError, naming them) when tables, sequences or types the plan creates exist on the
 * target already: they are someone else's, and the compensation would drop them. Touches nothing.
 */
export const checkTargetSchemaFree = adapt(
  async (input: { target: EndpointRef; plan: DdlPlan }): Promise<void> =>
    withEngine(input.target, (engine) => refuseExisting(engine, input.plan)),
);

async function refuseExisting(engine: Engine, plan: DdlPlan): Promise<void> {
  const existing = await engine.ddl.existingTargetObjects(plan);
  if (existing.length)
    throw refused(
      `the target schema ${JSON.stringify(plan.targetSchema)} already has ${existing.join(', ')}: drop or rename them, or migrate into another schema`,
    );
}

/** The DDL plan for the target, translated from the source model (touches nothing; shown for review). */
export const translateTargetSchema = adapt(
  async (input: {
    target: EndpointRef;
    source: SchemaModel;
    tables?: string[];
    overrides?: Record<string, ColumnOverride>;
    checks?: Record<string, CheckOverride>;
    probeResults?: Record<string, ProbeResult[]>;
  }): Promise<DdlPlan> =>
    withEngine(input.target, async (engine) =>
      translateSchema({
        source: input.source,
        targetEngine: engine.kind,
        targetSchema: await schemaOf(engine, input.target),
        tables: input.tables,
        overrides: input.overrides,
        checks: input.checks,
        probeResults: input.probeResults,
      }),
    ),
);

/** A request refused before anything was touched: no retry can fix it. */
function refused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'RefusedError', message, nonRetryable: true });
}

function lockTimeout(isLockTimeout: boolean, err: unknown): unknown {
  if (!isLockTimeout) return err;
  return ApplicationFailure.create({
    type: 'LockTimeout',
    message: `a DDL statement gave up waiting for a lock (nothing was changed; it is retried): ${
      err instanceof Error ? err.message : String(err)
    }`,
    nonRetryable: false,
  });
}

/** The compensation of prepareTargetSchema('tables'): drop exactly the plan's tables, types, sequences. */
export const dropTargetSchema = adapt(
  async (input: {
    target: EndpointRef;
    plan: DdlPlan;
    lockTimeoutMs?: number;
  }): Promise<{ dropped: string[] }> =>
    withEngine(input.target, async (engine) => {
      const existing = await engine.ddl.existingTargetObjects(input.plan);
      try {
        await engine.ddl.dropTargetObjects(input.plan, { lockTimeoutMs: input.lockTimeoutMs });
      } catch (err) {
        throw lockTimeout(engine.ddl.isLockTimeout(err), err);
      }
      return { dropped: existing };
    }),
);
