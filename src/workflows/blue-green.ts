// blueGreenMigration: the blue-green move as an explicit state machine, one phase after another:
//
//   validating-spec -> planning -> preparing-target -> installing-capture -> copying -> catching-up
//   -> validating -> awaiting-approval -> cutting-over -> rollback-window -> finalizing -> completed
//
// Every step that changes a database records its compensation (state.steps) BEFORE it runs; a
// rollback (signal, cancellation, or any failure) runs them in reverse in a non-cancellable scope.
// The state is plain JSON: long waits (approval, rollback window) continue-as-new with it, so the
// history stays bounded. Workflow code only orchestrates: every database touch is an activity.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  ContinueAsNew,
  type ActivityOptions,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { CatchUpInput } from '../activities/capture';
import type { EndpointRef } from '../activities/tables';
import { PERMANENT_ERROR_TYPES } from '../spec/error-types';
import {
  formatSpecProblems,
  INVALID_SPEC,
  parseMigrationSpec,
  type MigrationSpec,
} from '../spec/migration-spec';
import {
  approvalProblem,
  detailsMarkdown,
  initialState,
  isResumeInput,
  msLeftInWindow,
  msUntilWindow,
  recordApproval,
  slimTable,
  zeroDatesOf,
  type MigrationState,
  type Move,
  type Step,
} from './blue-green-state';
import {
  approveCutoverUpdate,
  copyProgressSignal,
  approveSignal,
  finalizeSignal,
  pauseSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  throttleSignal,
  type Approval,
  type MigrationPhase,
  type ValidationSummary,
} from './messages';
import { runPlanning } from './planning';
import {
  MigrationName,
  MigrationPhase as MigrationPhaseAttribute,
  MigrationStrategy,
  SourceEngine,
  TargetEngine,
} from './search-attributes';

export interface MigrationResult {
  migration: string;
  outcome: 'completed' | 'rolled-back';
  startedAt: string;
  finishedAt: string;
  approvals: Approval[];
  /** The latest validation, and all of them (full ones before the cutover, the changed rows at it). */
  validation: ValidationSummary | null;
  validations: ValidationSummary[];
  cutover: { at: string | null; writeUnavailableMs: number | null };
  rollbackReason: string | null;
  /** A problem that did not stop the migration (reverse replication failed after the cutover). */
  error: string | null;
}

/** Full validations (each after a catch-up) before differences are reported as a mismatch. */
const VALIDATION_ROUNDS = 3;
/** Catch-ups before a post-load constraint the target's rows violate is taken for the source's own. */
const POST_LOAD_ROUNDS = 5;

export async function blueGreenMigration(input: unknown): Promise<MigrationResult> {
  const now = () => new Date().toISOString();
  let spec: MigrationSpec;
  let state: MigrationState;
  if (isResumeInput(input)) {
    spec = input.$resume.spec;
    state = input.$resume.state;
  } else {
    const parsed = parseMigrationSpec(input);
    if (!parsed.ok)
      throw ApplicationFailure.create({
        type: INVALID_SPEC,
        message: formatSpecProblems(parsed.problems),
        nonRetryable: true,
        details: [parsed.problems],
      });
    spec = parsed.spec;
    state = initialState(spec, now());
  }
  const s = state.status;
  const source: EndpointRef = spec.source;
  const target: EndpointRef = spec.target;
  upsertSearchAttributes([
    { key: MigrationName, value: spec.name },
    { key: SourceEngine, value: spec.source.engine },
    { key: TargetEngine, value: spec.target.engine },
    { key: MigrationStrategy, value: spec.strategy },
    { key: MigrationPhaseAttribute, value: s.phase },
  ]);

  // ---- activities ----
  const heartbeatTimeout = `${spec.runtime.heartbeatTimeoutSeconds} seconds`;
  const dataOptions: ActivityOptions = {
    startToCloseTimeout: '30 days',
    heartbeatTimeout,
    // Two activities must never write the same target at once: a cancelled one is waited for.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '1 minute',
      maximumAttempts: 30,
      nonRetryableErrorTypes: PERMANENT_ERROR_TYPES,
    },
  };
  const acts = proxyActivities<typeof activities>(dataOptions);
  // Compensations retry until they succeed: the source is never left fenced or half-changed.
  const undo = proxyActivities<typeof activities>({
    ...dataOptions,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: PERMANENT_ERROR_TYPES,
    },
  });

  // A fence that keeps meeting long transactions becomes a no-go soon, not after half an hour.
  const fences = proxyActivities<typeof activities>({
    ...dataOptions,
    retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
  });
  // Hooks may run while the source is fenced: a hook times out after 30 s, and a worker that dies in
  // one is noticed within seconds (the activity heartbeats), not after a long start-to-close timeout.
  const hooks = proxyActivities<typeof activities>({
    startToCloseTimeout: '45 seconds',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
  });

  // ---- status, messages ----
  let forward: CancellationScope | null = null;
  const show = () => {
    setCurrentDetails(detailsMarkdown(s));
  };
  const enter = (phase: MigrationPhase, detail: string) => {
    if (s.phase !== phase) s.phaseStartedAt = now();
    s.phase = phase;
    s.detail = detail;
    upsertSearchAttributes([{ key: MigrationPhaseAttribute, value: phase }]);
    show();
  };
  const note = (detail: string) => {
    s.detail = detail;
    show();
  };
  setHandler(statusQuery, () => s);
  setHandler(
    approveCutoverUpdate,
    (a) => {
      recordApproval(s, a, now());
      show();
      return s.approval;
    },
    {
      validator: (a) => {
        const problem = approvalProblem(s, spec, a);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(approveSignal, (a) => {
    const problem = approvalProblem(s, spec, a);
    if (problem) {
      log.warn(`approval ignored: ${problem}`);
      return;
    }
    recordApproval(s, a, now());
    show();
  });
  setHandler(rollbackSignal, (r) => {
    if (
      s.rollback.requested ||
      s.rollback.state !== 'none' ||
      ['rolling-back', 'finalizing', 'completed', 'rolled-back', 'failed'].includes(s.phase)
    ) {
      log.warn(`rollback ignored in phase ${s.phase}`);
      return;
    }
    s.rollback = {
      requested: true,
      reason:
        typeof r?.reason === 'string' && r.reason.trim()
          ? r.reason.trim().slice(0, 2000)
          : '(no reason given)',
      at: now(),
      state: 'none',
    };
    forward?.cancel();
  });
  setHandler(finalizeSignal, () => {
    if (s.phase !== 'cutting-over' && s.phase !== 'rollback-window') {
      log.warn(`finalize ignored in phase ${s.phase}: it ends the rollback window after the cutover`);
      return;
    }
    state.finalizeRequested = true;
  });
  setHandler(pauseSignal, () => {
    s.paused = true;
    show();
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
    show();
  });
  setHandler(copyProgressSignal, (p) => {
    const row = s.tables.find((t) => t.table === p?.table);
    if (!row || row.state !== 'copying' || !(typeof p.rowsCopied === 'number' && p.rowsCopied >= 0)) return;
    row.rowsCopied = Math.round(p.rowsCopied);
    const rate = typeof p.rowsPerSecond === 'number' && p.rowsPerSecond > 0 ? p.rowsPerSecond : null;
    row.rowsPerSecond = rate === null ? null : Math.round(rate);
    // Past the estimate (statistics were low) the time left is unknown, not zero.
    row.etaSeconds =
      rate !== null && row.rowsEstimate > row.rowsCopied
        ? Math.round((row.rowsEstimate - row.rowsCopied) / rate)
        : null;
    show();
  });
  setHandler(throttleSignal, (t) => {
    const rate = t?.maxRowsPerSecond;
    if (rate === null || (typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
      s.maxRowsPerSecond = rate;
      show();
    } else log.warn('throttle ignored: maxRowsPerSecond must be a positive number or null');
  });

  // ---- helpers ----
  const begin = (step: Step) => {
    if (!state.steps.includes(step)) state.steps.push(step);
  };
  const done = (step: Step) => {
    state.steps = state.steps.filter((x) => x !== step);
  };
  const keys = (moves: Move[]) =>
    moves.map((m) => ({ table: m.mapping.source, key: m.mapping.primaryKey ?? m.table.primaryKey ?? [] }));
  /**
   * Operator hooks mostly tell the world: a failing one is logged and noted after a few attempts,
   * whatever the phase (nor is a finished cutover undone by a notification). One decides: `required`
   * (the routing hook of the cutover, which may be the real switch, e.g. repointing a proxy) throws
   * instead, and the migration rolls back: the applications may still point at the source, which
   * stays fenced until the way back has routed them there again.
   */
  const hook = async (
    name: string | undefined,
    event: string,
    details: Record<string, unknown> = {},
    required = false,
  ) => {
    if (!name) return;
    try {
      await hooks.runHook.executeWithOptions({ summary: `hook ${name}: ${event}` }, [
        { hook: name, event, migration: spec.name, details },
      ]);
    } catch (err) {
      if (isCancellation(err) && !CancellationScope.current().consideredCancelled) throw err;
      if (required)
        throw ApplicationFailure.create({
          type: 'RoutingHookFailed',
          message: `hook ${name} failed for event ${event}, so the applications may still be sent to the (fenced) source: rolling back (${describe(err)})`,
          nonRetryable: true,
        });
      log.warn(`hook ${name} failed for event ${event}: ${describe(err)}`);
      s.detail = `${s.detail} (hook ${name} failed for ${event}: ${describe(err)})`;
    }
  };
  /** The lift of the source fence by a no-go or by finalize (a rollback's compensation has its own). */
  const liftSourceFence = async (via: typeof acts = acts) => {
    await via.liftFence.executeWithOptions({ summary: 'lift the source fence' }, [
      {
        endpoint: source,
        migration: spec.name,
        mode: spec.cutover.fence,
        previous: state.fencePrevious.source,
      },
    ]);
    done('source-fence');
    s.fence = { state: 'lifted', side: 'source', since: now() };
  };
  const forwardInput = (o: Partial<CatchUpInput>): CatchUpInput => ({
    source,
    target,
    tables: state.moves,
    position: state.position,
    ...o,
  });
  const reverseInput = (o: Partial<CatchUpInput>): CatchUpInput => ({
    source: target,
    target: source,
    tables: state.reverseMoves,
    position: state.reversePosition,
    ...o,
  });
  const setLag = (lag: { rowsBehind: number; secondsBehind: number }) => {
    s.lag = { ...lag, at: now() };
  };
  const historyLong = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= spec.runtime.maxHistoryEvents;
  };
  const maybeContinueAsNew = async () => {
    if (!historyLong()) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof blueGreenMigration>({ $resume: { spec, state } });
  };

  /**
   * Apply captured changes continuously (forward: source -> target; reverse: target -> source) in
   * slices of runtime.followSeconds until `until()` holds. A pause stops applying; a slice is cancelled
   * as soon as `until()` holds (and waited for: only one applier writes at a time).
   */
  const follow = async (
    direction: 'forward' | 'reverse',
    until: () => boolean,
    endsAtMs?: number,
    options: { returnWhenHistoryLong?: boolean; ignorePause?: boolean; minSliceSeconds?: number } = {},
  ) => {
    while (!until()) {
      if (endsAtMs !== undefined && Date.now() >= endsAtMs) return;
      // The caller continues as new between slices (never inside validation, which runs beside).
      if (options.returnWhenHistoryLong && historyLong()) return;
      if (s.paused && !options.ignorePause) {
        if (endsAtMs === undefined) await condition(() => !s.paused || until());
        else await condition(() => !s.paused || until(), Math.max(1, endsAtMs - Date.now()));
        continue;
      }
      let settled = false;
      const seconds =
        endsAtMs === undefined
          ? Math.max(spec.runtime.followSeconds, options.minSliceSeconds ?? 0)
          : Math.max(1, Math.min(spec.runtime.followSeconds, (endsAtMs - Date.now()) / 1000));
      const slice = new CancellationScope();
      const run = slice.run(() =>
        direction === 'forward'
          ? acts.catchUp.executeWithOptions({ summary: 'replicate source -> target' }, [
              forwardInput({
                retainAfter: state.validatedFrom ?? undefined,
                maxRowsBehind: -1,
                maxSeconds: seconds,
              }),
            ])
          : acts.catchUp.executeWithOptions({ summary: 'replicate target -> source (reverse)' }, [
              reverseInput({
                maxRowsBehind: -1,
                maxSeconds: seconds,
              }),
            ]),
      );
      void run.then(
        () => (settled = true),
        () => (settled = true),
      );
      try {
        await condition(() => settled || until() || (s.paused && !options.ignorePause));
      } catch (err) {
        // Cancelled from outside (rollback, cancel): the slice stops, and is waited for before
        // anything else (a compensation) touches the databases it writes.
        slice.cancel();
        await run.catch(() => undefined);
        throw err;
      }
      if (!settled) slice.cancel();
      try {
        const r = await run;
        if (direction === 'forward') state.position = r.position;
        else state.reversePosition = r.position;
        setLag(r.lag);
        show();
      } catch (err) {
        // A slice we stopped may end cancelled or, if its worker died first, timed out: either
        // way it applied nothing past the last position, and the next slice goes on from there.
        if (!slice.consideredCancelled) throw err;
      }
    }
  };

  /** Full validation while the forward follower keeps the target current. */
  const validateAll = async (): Promise<ValidationSummary> => {
    // A difference seen while replicating may be a change the applier has not reached yet (the
    // validator re-checks after a short wait, but a worker restart stops the applier longer):
    // catch up and validate again before calling it a mismatch.
    for (let round = 1; ; round++) {
      state.validatedFrom = state.position;
      state.validatedIdentities = await acts.sourceTableIdentities.executeWithOptions(
        { summary: 'source table identities' },
        [{ source, tables: state.moves.map((m) => m.mapping.source) }],
      );
      let finished = false;
      let v = null as ValidationSummary | null;
      // Together: a failing applier stops the validation (its result would mean nothing), and a
      // pause does not stop the applier here (rows changed meanwhile would fail the validation).
      await allOrNothing([
        async () => {
          try {
            const r = await acts.validateTables.executeWithOptions(
              { summary: `validate ${state.moves.length} table(s)${round > 1 ? ` (round ${round})` : ''}` },
              [{ source, target, tables: state.moves, recheckAttempts: 3, recheckDelayMs: 2_000 }],
            );
            v = summarize('full', r.tables, round >= VALIDATION_ROUNDS);
          } finally {
            finished = true;
          }
        },
        () => follow('forward', () => finished, undefined, { ignorePause: true, minSliceSeconds: 300 }),
      ]);
      if (!v)
        throw ApplicationFailure.create({ message: 'validation ended without a result', nonRetryable: true });
      if (v.status === 'match') return v;
      note(
        `validation round ${round} saw ${v.mismatched + v.missing + v.extra} difference(s) while replicating: catching up, validating again`,
      );
      const r = await acts.catchUp.executeWithOptions({ summary: 'catch up before validating again' }, [
        forwardInput({
          maxRowsBehind: Number.MAX_SAFE_INTEGER,
          maxSecondsBehind: spec.cutover.maxLagSeconds,
        }),
      ]);
      state.position = r.position;
      setLag(r.lag);
    }
  };
  const summarize = (
    scope: 'full' | 'changed',
    reports: { status: string; mismatched?: number; missing?: number; extra?: number }[],
    final = true,
  ): ValidationSummary => {
    const sum = (k: 'mismatched' | 'missing' | 'extra') => reports.reduce((n, r) => n + (r[k] ?? 0), 0);
    const v: ValidationSummary = {
      scope,
      status: reports.every((r) => r.status === 'match') ? 'match' : 'mismatch',
      at: now(),
      tables: reports.length,
      mismatched: sum('mismatched'),
      missing: sum('missing'),
      extra: sum('extra'),
    };
    s.validation = v;
    s.validations = [...(s.validations ?? []), v].slice(-20);
    show();
    if (v.status === 'mismatch' && final)
      throw ApplicationFailure.create({
        type: 'ValidationMismatch',
        nonRetryable: true,
        message: `validation (${scope}) found differences: ${v.mismatched} differing, ${v.missing} missing, ${v.extra} extra row(s) (per-table reports with sample keys are in the validation activity's result)`,
      });
    return v;
  };

  // ---- the phases ----
  const phases: Partial<Record<MigrationPhase, () => Promise<MigrationPhase>>> = {
    'validating-spec': async () => 'planning',

    planning: async () => {
      enter('planning', 'inspecting both sides, probing the data, timing a sample copy');
      const planned = await runPlanning(acts, spec, new Date(workflowInfo().startTime).toISOString(), (d) =>
        note(d),
      );
      if (!planned.report.verdict.canStartOnline)
        throw ApplicationFailure.create({
          type: 'PlanBlocked',
          nonRetryable: true,
          message: `the plan has blocking findings (accept them by code in acceptRisks only if you know why): ${planned.report.verdict.reasons.join('; ')}`,
        });
      state.plannedRowsPerSecond = planned.report.sample?.copyRowsPerSecond ?? null;
      const selected = new Set(planned.report.tables.map((t) => t.table));
      const model = { ...planned.source, tables: planned.source.tables.filter((t) => selected.has(t.name)) };
      enter('preparing-target', 'translating the schema');
      state.ddl = await acts.translateTargetSchema.executeWithOptions({ summary: 'translate the schema' }, [
        {
          target,
          source: model,
          tables: planned.report.tables.map((t) => t.table),
          overrides: spec.columns,
          checks: spec.checks,
          probeResults: planned.probes,
        },
      ]);
      const order = new Map(planned.report.tables.map((t, i) => [t.table, i]));
      state.moves = model.tables
        .map((t) => ({
          table: slimTable(t),
          mapping: state.ddl!.tables.find((m) => m.source === t.name)!,
          zeroDates: zeroDatesOf(spec, t.name),
        }))
        .sort((a, b) => order.get(a.mapping.source)! - order.get(b.mapping.source)!);
      const volume = new Map(planned.report.volume.map((v) => [v.table, v.exactRows ?? v.rowEstimate]));
      s.tables = state.moves.map((m) => ({
        table: m.mapping.source,
        targetTable: m.mapping.target,
        rowsEstimate: volume.get(m.mapping.source) ?? -1,
        rowsCopied: 0,
        state: 'pending',
        rowsPerSecond: null,
        etaSeconds: null,
      }));
      return 'preparing-target';
    },

    'preparing-target': async () => {
      enter('preparing-target', `creating ${state.moves.length} table(s) on the target`);
      // Objects of the plan that exist already are someone else's: refused before the compensation
      // (which drops them) is recorded. Checked apart from the creation so that a retry after a
      // crash mid-creation takes the objects it finds for its own, heartbeat or not.
      await acts.checkTargetSchemaFree.executeWithOptions({ summary: 'check the target is free' }, [
        { target, plan: state.ddl! },
      ]);
      begin('target-schema');
      await acts.prepareTargetSchema.executeWithOptions({ summary: 'create target tables' }, [
        { target, phase: 'tables', plan: state.ddl!, allowExisting: true },
      ]);
      // Refused now, not at the cutover: a column that cannot be replicated back (and not accepted).
      await acts.prepareReverse.executeWithOptions({ summary: 'check reverse replication' }, [
        { source, target, tables: state.moves, acceptLossy: spec.cutover.acceptLossyReverse },
      ]);
      return 'installing-capture';
    },

    'installing-capture': async () => {
      enter('installing-capture', 'change capture on the source tables');
      begin('forward-capture');
      await acts.installCapture.executeWithOptions({ summary: 'install capture on the source' }, [
        { source, tables: keys(state.moves) },
      ]);
      return 'copying';
    },

    copying: async () => {
      enter('copying', `${state.moves.length} table(s), ${spec.copy.tablesAtOnce} at a time`);
      const queue = state.moves.filter(
        (m) => s.tables.find((t) => t.table === m.mapping.source)?.state !== 'copied',
      );
      const worker = async () => {
        for (let m = queue.shift(); m; m = queue.shift()) {
          const row = s.tables.find((t) => t.table === m!.mapping.source)!;
          await condition(() => !s.paused);
          row.state = 'copying';
          show();
          const r = await acts.copyTable.executeWithOptions({ summary: `copy ${row.table}` }, [
            {
              ...m,
              source,
              target,
              concurrency: spec.copy.slicesPerTable,
              maxRowsPerSecond: s.maxRowsPerSecond ?? undefined,
              maxLoad: spec.copy.maxLoad,
              criticalLoad: spec.copy.criticalLoad,
              control: true,
              expectedRowsPerSecond: state.plannedRowsPerSecond ?? undefined,
              alert: spec.cutover.hooks.alert
                ? { hook: spec.cutover.hooks.alert, migration: spec.name }
                : undefined,
            },
          ]);
          row.rowsCopied = r.rows;
          row.state = 'copied';
          row.rowsPerSecond = null;
          row.etaSeconds = null;
          show();
        }
      };
      await allOrNothing(
        Array.from({ length: Math.min(spec.copy.tablesAtOnce, queue.length) }, () => worker),
      );
      return 'catching-up';
    },

    'catching-up': async () => {
      enter('catching-up', 'applying the changes made during the copy');
      // The applier converges by key, reading the source as it is now, so between two catch-ups the
      // target can hold a child whose parent's delete was applied a batch early. A constraint those
      // rows violate is tried again after the next catch-up; only a persistent violation (the
      // source's own rows) stops the migration.
      for (let round = 1; ; round++) {
        await condition(() => !s.paused);
        const r = await acts.catchUp.executeWithOptions({ summary: 'catch up' }, [
          forwardInput({
            maxRowsBehind: Number.MAX_SAFE_INTEGER,
            maxSecondsBehind: spec.cutover.maxLagSeconds,
            // After a violation: at least the changes that were waiting, however recent.
            drainBacklog: round > 1,
          }),
        ]);
        state.position = r.position;
        setLag(r.lag);
        note('building indexes, unique keys, foreign keys and CHECKs');
        try {
          await acts.prepareTargetSchema.executeWithOptions({ summary: 'post-load DDL' }, [
            { target, phase: 'post-load', plan: state.ddl! },
          ]);
          break;
        } catch (err) {
          if (failureType(err) !== 'ConstraintNotMet') throw err;
          if (round >= POST_LOAD_ROUNDS)
            throw ApplicationFailure.create({
              type: 'ConstraintNotMet',
              nonRetryable: true,
              message: `${describe(err)}, still after ${round} catch-ups: the source's own rows violate it (rows written with the checks off: MySQL foreign_key_checks = 0, PostgreSQL session_replication_role = replica; or a duplicate under the target's collation). Fix the rows on the source and start again`,
            });
          note(`${describe(err)}: catching up again (${round}/${POST_LOAD_ROUNDS})`);
        }
      }
      await acts.prepareTargetSchema.executeWithOptions({ summary: 'sequences past the maximum' }, [
        { target, phase: 'finalize', plan: state.ddl! },
      ]);
      return 'validating';
    },

    validating: async () => {
      enter('validating', `comparing ${state.moves.length} table(s) row for row while replicating`);
      await validateAll();
      state.validatedAt = Date.now();
      return 'awaiting-approval';
    },

    'awaiting-approval': async () => {
      const needed = () => s.approval.approvals.length >= s.approval.required;
      if (spec.approval.auto && !needed()) {
        // After a no-go, a minute of replication before trying again: no tight fence-and-lift loop.
        if (state.noGo) {
          enter('awaiting-approval', `${state.noGo}; approval.auto tries again in a minute`);
          const retry = Date.now() + 60_000;
          while (Date.now() < retry && !needed()) {
            await follow('forward', needed, retry, { returnWhenHistoryLong: true });
            await maybeContinueAsNew();
          }
        }
        if (!needed()) recordApproval(s, { approver: 'auto', comment: 'approval.auto is set' }, now());
      }
      s.approval.awaiting = !needed();
      enter(
        'awaiting-approval',
        (state.noGo ? `${state.noGo}; ` : '') +
          (s.approval.awaiting
            ? `waiting for ${s.approval.required - s.approval.approvals.length} approval(s); replicating`
            : 'approved'),
      );
      while (!needed()) {
        await follow('forward', needed, undefined, { returnWhenHistoryLong: true });
        await maybeContinueAsNew();
      }
      s.approval.awaiting = false;
      state.noGo = null;
      note(`approved by ${s.approval.approvals.map((a) => a.approver).join(', ')}`);
      // Inside the window, with a fresh validation; a re-validation may outlast the window: check again.
      for (;;) {
        const wait = msUntilWindow(s.approval.window, Date.now());
        if (wait > 0) {
          note(
            `approved; waiting for the cutover window ${s.approval.window!.start}-${s.approval.window!.end} UTC`,
          );
          const opens = Date.now() + wait;
          while (Date.now() < opens) {
            await follow('forward', () => false, opens, { returnWhenHistoryLong: true });
            await maybeContinueAsNew();
          }
        }
        if (Date.now() - (state.validatedAt ?? 0) <= spec.approval.revalidateAfterMinutes * 60_000) break;
        enter('validating', 'the last validation is old: validating again before the cutover');
        await validateAll();
        state.validatedAt = Date.now();
        if (msUntilWindow(s.approval.window, Date.now()) === 0) break;
      }
      return 'cutting-over';
    },

    'cutting-over': async () => {
      enter(
        'cutting-over',
        `go/no-go: lag at most ${spec.cutover.maxLagSeconds} s for ${spec.cutover.stableSeconds} s`,
      );
      const go = await acts.catchUp.executeWithOptions({ summary: 'go/no-go' }, [
        forwardInput({
          retainAfter: state.validatedFrom ?? undefined,
          maxRowsBehind: Number.MAX_SAFE_INTEGER,
          maxSecondsBehind: spec.cutover.maxLagSeconds,
          stableSeconds: spec.cutover.stableSeconds,
          maxSeconds: Math.max(
            1,
            Math.min(spec.cutover.goNoGoMinutes * 60, msLeftInWindow(s.approval.window, Date.now()) / 1000),
          ),
        }),
      ]);
      state.position = go.position;
      setLag(go.lag);
      // No-go: nothing was fenced. The approvals are void: people approved a cutover that did not happen.
      const noGo = async (why: string) => {
        s.approval.approvals = [];
        state.noGo = `no-go: ${why}; approve again`;
        note(state.noGo);
        await hook(spec.cutover.hooks.alert, 'no-go', { reason: why });
        return 'awaiting-approval' as const;
      };
      if (!go.caughtUp)
        return noGo(
          `the lag did not stay under ${spec.cutover.maxLagSeconds} s for ${spec.cutover.stableSeconds} s within ${spec.cutover.goNoGoMinutes} min or the cutover window`,
        );
      const tables = state.moves.map((m) => m.mapping.source);
      note('fencing writes on the source');
      begin('source-fence');
      // The write window counts from the request: a trigger fence holds writers while it waits for
      // its locks, and a fence that committed just before a crash is up before the activity returns.
      state.fencedAtMs = Date.now();
      let fence;
      try {
        fence = await fences.fenceWrites.executeWithOptions({ summary: 'fence the source' }, [
          { endpoint: source, tables, migration: spec.name, mode: spec.cutover.fence },
        ]);
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Long transactions held the tables (FenceBlocked), the source failed for a few seconds, or
        // the fence cannot work as configured: whatever was installed comes off. Not a reason to
        // throw hours of copying away: a person fixes it and approves again. With approval.auto no
        // one will, so a fence that can never work fails (and rolls back) the migration.
        await acts.liftFence({ endpoint: source, migration: spec.name, mode: spec.cutover.fence });
        done('source-fence');
        state.fencedAtMs = null;
        const type = failureType(err);
        if (spec.approval.auto && PERMANENT_ERROR_TYPES.includes(type ?? '')) throw err;
        return noGo(
          type === 'FenceBlocked'
            ? `the fence could not take the table locks (${describe(err)})`
            : `the fence failed (${describe(err)})`,
        );
      }
      state.fencePrevious.source = fence.previous ?? null;
      s.fence = { state: 'fenced', side: 'source', since: now() };
      await hook(spec.cutover.hooks.fence, 'fenced', { side: 'source' });
      note('draining the changelog to zero');
      // Beside the drain (the write window is the sum of what runs under the fence): the tables'
      // identities. TRUNCATE on MySQL, a rewriting ALTER: no trigger saw them, so validating the
      // changed rows would miss them. Then unfence, and validate them in full before another attempt.
      const [drained, identities] = await Promise.all([
        acts.catchUp.executeWithOptions({ summary: 'drain' }, [
          forwardInput({
            retainAfter: state.validatedFrom ?? undefined,
            maxRowsBehind: 0,
            maxSecondsBehind: 0,
          }),
        ]),
        acts.sourceTableIdentities.executeWithOptions({ summary: 'source table identities' }, [
          { source, tables },
        ]),
      ]);
      state.position = drained.position;
      setLag(drained.lag);
      const rebuilt = tables.filter(
        (t) =>
          identities[t] !== null &&
          state.validatedIdentities?.[t] != null &&
          identities[t] !== state.validatedIdentities[t],
      );
      if (rebuilt.length) {
        await liftSourceFence();
        await hook(spec.cutover.hooks.fence, 'fence-lifted', { side: 'source' });
        state.validatedAt = null;
        return noGo(
          `source table(s) ${rebuilt.join(', ')} changed after the last validation in a way change capture does not see (TRUNCATE, ALTER or OPTIMIZE): validating them again in full`,
        );
      }
      // The source's counters are read now, under the fence: ids it handed out since the plan
      // (deleted again, or burned by rolled-back inserts) are not handed out again by the target.
      await acts.prepareTargetSchema.executeWithOptions({ summary: 'sequences past the maximum' }, [
        { target, source, phase: 'finalize', plan: state.ddl! },
      ]);
      note('validating the rows changed since the last validation');
      const changed = await acts.validateChangedKeys.executeWithOptions(
        { summary: 'validate changed rows' },
        [{ source, target, tables: state.moves, since: state.validatedFrom }],
      );
      summarize('changed', changed.tables);
      note('starting reverse replication (target -> source)');
      // The forward triggers would record the reverse applier's writes again: they go first.
      await acts.removeCapture.executeWithOptions({ summary: 'remove capture from the source' }, [
        { source },
      ]);
      done('forward-capture');
      const reverse = await acts.prepareReverse.executeWithOptions({ summary: 'reverse moves' }, [
        { source, target, tables: state.moves, acceptLossy: spec.cutover.acceptLossyReverse },
      ]);
      state.reverseMoves = reverse.tables.map((m) => ({ table: slimTable(m.table), mapping: m.mapping }));
      begin('reverse-capture');
      await acts.installCapture.executeWithOptions({ summary: 'install capture on the target' }, [
        { source: target, tables: keys(state.reverseMoves) },
      ]);
      note('switching routing to the target');
      begin('routing-target');
      // Recorded first: the switch may reach one side and then fail; the way back must outnumber it.
      state.routingEpochTried = Math.max(state.routingEpochTried, s.routing.epoch + 1);
      await acts.switchRouting.executeWithOptions({ summary: 'routing -> target' }, [
        { migration: spec.name, active: 'target', source, target, epoch: s.routing.epoch + 1 },
      ]);
      s.routing = { active: 'target', epoch: s.routing.epoch + 1, switchedAt: now() };
      await hook(
        spec.cutover.hooks.routing,
        'routing-switched',
        { active: 'target', epoch: s.routing.epoch },
        true,
      );
      // Writes are open again, on the target. The source stays fenced until finalize or a rollback
      // (the reverse applier passes its fence): an application that still acts on the old routing
      // gets the fence's error instead of a write on the source that no side keeps (a rollback's
      // drain would even overwrite it with the target's row of the same id).
      s.cutover = { at: now(), writeUnavailableMs: Date.now() - state.fencedAtMs! };
      await hook(spec.cutover.hooks.fence, 'writes-resumed', {
        active: 'target',
        writeUnavailableMs: s.cutover.writeUnavailableMs,
        sourceFenced: true,
      });
      state.rollbackWindowEndsAtMs = Date.now() + spec.cutover.rollbackWindowMinutes * 60_000;
      return 'rollback-window';
    },

    'rollback-window': async () => {
      const ends = state.rollbackWindowEndsAtMs ?? Date.now();
      enter(
        'rollback-window',
        `reverse replication until ${new Date(ends).toISOString()} (or the finalize signal)`,
      );
      while (!state.finalizeRequested && Date.now() < ends) {
        try {
          await follow('reverse', () => state.finalizeRequested, ends, { returnWhenHistoryLong: true });
        } catch (err) {
          if (isCancellation(err)) throw err;
          // The target is live and right; only the way back broke. Rolling back now would fence
          // the live side and still lose writes: finalize, and say so loudly.
          s.error = `reverse replication failed, so a rollback can no longer keep every write; finalizing: ${describe(err)}`;
          state.reverseFailed = true;
          log.error(s.error);
          await hook(spec.cutover.hooks.alert, 'reverse-replication-failed', { error: s.error });
          return 'finalizing';
        }
        if (!state.finalizeRequested) await maybeContinueAsNew();
      }
      return 'finalizing';
    },

    finalizing: async () => {
      enter(
        'finalizing',
        'a last reverse catch-up, then removing the capture from the target and lifting the source fence',
      );
      // The source stays a current fallback copy as far as the lag allows (best effort: a minute).
      if (!state.reverseFailed) {
        try {
          const last = await fences.catchUp.executeWithOptions({ summary: 'last reverse catch-up' }, [
            // To zero, not to the lag threshold: the changes of the last seconds would otherwise be
            // dropped with the capture (a writer still on the target makes it stop after a minute).
            reverseInput({
              maxRowsBehind: 0,
              maxSecondsBehind: 0,
              maxSeconds: 60,
            }),
          ]);
          state.reversePosition = last.position;
          setLag(last.lag);
        } catch (err) {
          if (isCancellation(err)) throw err;
          log.warn(`the last reverse catch-up failed (the target is final either way): ${describe(err)}`);
        }
      }
      // The target is final from here: a failure or a cancellation must not roll back (that would
      // fence the live side, with the reverse capture gone). The clean-up is retried while its
      // errors are transient; what fails for good is named and left, and the migration completes.
      state.steps = state.steps.filter((x) => x === 'reverse-capture' || x === 'source-fence');
      await CancellationScope.nonCancellable(async () => {
        const left: string[] = [];
        await undo.removeCapture
          .executeWithOptions({ summary: 'remove capture from the target' }, [{ source: target }])
          .then(() => done('reverse-capture'))
          .catch((err: unknown) => left.push(`the capture on the target (${describe(err)})`));
        if (state.steps.includes('source-fence')) {
          await liftSourceFence(undo)
            .then(() => hook(spec.cutover.hooks.fence, 'fence-lifted', { side: 'source' }))
            .catch((err: unknown) => left.push(`the source's write fence (${describe(err)})`));
        }
        if (left.length) {
          s.error = `finalized, but left in place, to remove by hand: ${left.join('; ')}`;
          log.error(s.error);
          await hook(spec.cutover.hooks.alert, 'finalize-incomplete', { error: s.error });
        }
      });
      state.steps = [];
      return 'completed';
    },
  };

  // ---- compensations ----
  /** The rollback's fence on the target (always a trigger fence), through the given retry policy. */
  const liftTargetFence = async (via: typeof undo) => {
    await via.liftFence.executeWithOptions({ summary: 'rollback: lift the target fence' }, [
      {
        endpoint: target,
        migration: spec.name,
        mode: 'trigger',
        previous: state.fencePrevious.target,
      },
    ]);
    s.fence = { state: 'lifted', side: 'target', since: now() };
  };
  const compensate = async (step: Step) => {
    switch (step) {
      case 'routing-target': {
        // Writes made on the target since the cutover go back first: fence it, drain, then switch.
        note('rollback: fencing the target and draining reverse changes');
        if (state.reverseMoves.length) {
          // Most of the backlog first, with the target still writable: the fenced drain stays short.
          await acts.catchUp
            .executeWithOptions({ summary: 'reverse catch-up before the fence' }, [
              reverseInput({
                maxRowsBehind: Number.MAX_SAFE_INTEGER,
                maxSecondsBehind: spec.cutover.maxLagSeconds,
                maxSeconds: 300,
              }),
            ])
            .then((r) => (state.reversePosition = r.position))
            .catch((err: unknown) => log.warn(`reverse catch-up before the fence failed: ${describe(err)}`));
        }
        begin('target-fence');
        const f = await undo.fenceWrites.executeWithOptions({ summary: 'rollback: fence the target' }, [
          {
            endpoint: target,
            tables: state.moves.map((m) => m.mapping.target),
            migration: spec.name,
            mode: 'trigger',
          },
        ]);
        state.fencePrevious.target = f.previous ?? null;
        s.fence = { state: 'fenced', side: 'target', since: now() };
        if (state.reverseMoves.length) {
          const r = await undo.catchUp.executeWithOptions({ summary: 'rollback: drain reverse changes' }, [
            reverseInput({
              maxRowsBehind: 0,
              maxSecondsBehind: 0,
            }),
          ]);
          state.reversePosition = r.position;
          await undo.advanceSourceSequences.executeWithOptions(
            { summary: 'rollback: source sequences past the returned rows' },
            [{ source, target, tables: state.moves }],
          );
        }
        const epoch = Math.max(s.routing.epoch, state.routingEpochTried) + 1;
        state.routingEpochTried = epoch;
        await undo.switchRouting.executeWithOptions({ summary: 'rollback: routing -> source' }, [
          { migration: spec.name, active: 'source', source, target, epoch },
        ]);
        s.routing = { active: 'source', epoch, switchedAt: now() };
        await hook(spec.cutover.hooks.routing, 'routing-switched', {
          active: 'source',
          epoch: s.routing.epoch,
        });
        return;
      }
      case 'target-fence':
        await liftTargetFence(undo);
        return;
      case 'source-fence':
        await undo.liftFence.executeWithOptions({ summary: 'rollback: lift the source fence' }, [
          {
            endpoint: source,
            migration: spec.name,
            mode: spec.cutover.fence,
            previous: state.fencePrevious.source,
          },
        ]);
        // After the cutover the target's rollback fence is the one still up: the status names it.
        if (s.fence.side !== 'target') s.fence = { state: 'lifted', side: 'source', since: now() };
        if (state.fencedAtMs !== null && s.cutover.writeUnavailableMs === null)
          s.cutover = { at: null, writeUnavailableMs: Date.now() - state.fencedAtMs };
        await hook(spec.cutover.hooks.fence, 'fence-lifted', { side: 'source' });
        return;
      case 'reverse-capture':
        await undo.removeCapture.executeWithOptions({ summary: 'rollback: remove capture from the target' }, [
          { source: target },
        ]);
        return;
      case 'forward-capture':
        await undo.removeCapture.executeWithOptions({ summary: 'rollback: remove capture from the source' }, [
          { source },
        ]);
        return;
      case 'target-schema':
        await undo.dropTargetSchema.executeWithOptions({ summary: 'rollback: drop the target tables' }, [
          { target, plan: state.ddl! },
        ]);
        return;
    }
  };
  const rollback = async (reason: string) => {
    s.rollback.state = 'running';
    if (!s.rollback.reason) s.rollback.reason = reason;
    s.rollback.at ??= now();
    enter('rolling-back', reason);
    // 'target-fence' is begun inside 'routing-target' and must be lifted after it: process as a stack,
    // except that the target's fence outlives the target's tables: a writer that ignores the routing
    // gets an error instead of rows the drop would lose (the lift then removes only its function).
    // A compensation that fails for good (retryable errors are retried without end) is skipped
    // and the others still run, except while the routing points to the target: that is the live
    // side, never dropped; it only loses its fence. What is left is named in the failure.
    const failed: string[] = [];
    const skipped = new Set<Step>();
    // And the source's fence (up since the cutover) comes off as soon as no routing step is left to
    // undo: writes open there before the target's capture is removed, not after.
    const next = () => {
      const rest = state.steps.filter((x) => !skipped.has(x));
      if (rest.includes('source-fence') && !state.steps.includes('routing-target')) return 'source-fence';
      return rest.includes('target-schema') ? rest.filter((x) => x !== 'target-fence').at(-1) : rest.at(-1);
    };
    for (let step = next(); step; step = next()) {
      try {
        await compensate(step);
        done(step);
      } catch (err) {
        failed.push(`${step}: ${describe(err)}`);
        skipped.add(step);
        log.error(`rollback: ${step} failed: ${describe(err)}`);
        if (s.routing.active === 'target') {
          if (step !== 'target-fence' && state.steps.includes('target-fence')) {
            await liftTargetFence(fences)
              .then(() => done('target-fence'))
              .catch((e: unknown) => failed.push(`target-fence: ${describe(e)}`));
            if (state.steps.includes('source-fence'))
              s.fence = { state: 'fenced', side: 'source', since: now() };
          }
          break;
        }
      }
    }
    if (failed.length) {
      s.rollback.state = 'incomplete';
      throw ApplicationFailure.create({
        type: 'RollbackIncomplete',
        nonRetryable: true,
        message: `the rollback could not finish (${failed.join('; ')}); left in place: ${state.steps.join(', ') || 'nothing'}${s.routing.active === 'target' ? `; the routing still points to the target, which stays live${state.steps.includes('source-fence') ? ' (the source keeps its fence: writes there would be lost)' : ''}` : ''}`,
      });
    }
    s.rollback.state = 'done';
  };

  const result = (outcome: MigrationResult['outcome']): MigrationResult => ({
    migration: spec.name,
    outcome,
    startedAt: s.startedAt,
    finishedAt: now(),
    approvals: s.approval.approvals,
    validation: s.validation,
    validations: s.validations,
    cutover: s.cutover,
    error: s.error,
    rollbackReason: s.rollback.reason,
  });

  // ---- run ----
  try {
    await CancellationScope.cancellable(async () => {
      forward = CancellationScope.current();
      if (s.rollback.requested) forward.cancel();
      while (!['completed', 'rolled-back', 'failed'].includes(s.phase)) {
        const run = phases[s.phase];
        if (!run)
          throw ApplicationFailure.create({ message: `no step for phase ${s.phase}`, nonRetryable: true });
        const next = await run();
        enter(next, next === 'completed' ? 'the target is live; capture removed' : s.detail);
      }
    });
    return result('completed');
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    const reason = s.rollback.requested
      ? `rollback requested: ${s.rollback.reason}`
      : cancelled
        ? 'the workflow was cancelled'
        : `failed: ${describe(err)}`;
    if (!s.rollback.requested && !cancelled) s.error = describe(err);
    const touched = state.steps.length > 0;
    if (touched)
      await CancellationScope.nonCancellable(() => rollback(reason)).catch(async (incomplete: unknown) => {
        s.error = `${s.error ? `${s.error}; ` : ''}${describe(incomplete)}`;
        enter('failed', s.error);
        if (spec.cutover.hooks.alert)
          await CancellationScope.nonCancellable(() =>
            hook(spec.cutover.hooks.alert, 'failed', { error: s.error }).catch(() => undefined),
          );
        throw incomplete;
      });
    enter(s.rollback.requested || cancelled || touched ? 'rolled-back' : 'failed', reason);
    if (s.rollback.requested) return result('rolled-back');
    if (!cancelled && spec.cutover.hooks.alert)
      await CancellationScope.nonCancellable(() =>
        hook(spec.cutover.hooks.alert, 'failed', { error: s.error }).catch(() => undefined),
      );
    throw err;
  }
}

/**
 * Run the tasks together; when one fails, cancel the others and wait until they have stopped
 * before failing (a compensation must never run beside a copy that still writes).
 */
async function allOrNothing(tasks: (() => Promise<void>)[]): Promise<void> {
  const scope = new CancellationScope();
  const running = tasks.map((t) => scope.run(t));
  try {
    await Promise.all(running);
  } catch (err) {
    scope.cancel();
    await Promise.allSettled(running);
    throw err;
  }
}

function failureType(err: unknown): string | null {
  const cause = (err as { cause?: { type?: string } })?.cause;
  return cause?.type ?? (err as { type?: string })?.type ?? null;
}

/** The innermost message of an activity or application failure (already redacted by the activity). */
function describe(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return String(e?.message ?? err).slice(0, 2000);
}
