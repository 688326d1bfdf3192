// The verdict: findings about the live servers, the downtime category, and the forward and
// backward paths spelled out step by step for the people who will run and approve the move.
import type { DowntimeCategory, Estimates, Finding, SideState, TablePlan } from '../../spec/plan-report';

const has = (s: SideState, capability: string) =>
  s.privileges.find((p) => p.capability.startsWith(capability));

export function liveFindings(
  source: SideState,
  target: SideState,
  longTransactionSeconds: number,
  cutover: { fence: 'trigger' | 'read-only'; rollbackWindowMinutes: number } = {
    fence: 'trigger',
    rollbackWindowMinutes: 0,
  },
): Finding[] {
  const out: Finding[] = [];
  const scope = source.engine === 'postgres' ? 'database' : 'server';
  if (cutover.fence === 'read-only' && cutover.rollbackWindowMinutes > 0) {
    out.push({
      severity: 'high',
      code: 'READ_ONLY_FENCE_FOR_THE_WINDOW',
      finding: `the read-only fence keeps the whole source ${scope} read-only from the cutover until finalize or rollback (a rollback window of ${cutover.rollbackWindowMinutes} min), not only the migrated tables${source.engine === 'postgres' ? '; sessions opened on it meanwhile are ended when it is lifted' : ''}`,
      mitigation:
        'use the trigger fence (cutover.fence: trigger), which fences only the migrated tables, or finalize as soon as the target is trusted',
    });
  }
  if (
    cutover.fence === 'read-only' &&
    source.engine === target.engine &&
    source.readOnlyFenceScope === target.readOnlyFenceScope
  ) {
    out.push({
      severity: 'blocking',
      code: 'READ_ONLY_FENCE_COVERS_TARGET',
      finding: `the read-only fence makes the whole source ${scope} read-only from the cutover until finalize or rollback, and the target is on it: the applications could not write to the target after the cutover`,
      mitigation: 'use the trigger fence (cutover.fence: trigger), or move to another database or server',
    });
  }
  for (const [side, s] of [
    ['source', source],
    ['target', target],
  ] as const) {
    if (s.longTransactions.length) {
      const worst = Math.max(...s.longTransactions.map((t) => t.seconds));
      out.push({
        severity: 'medium',
        code: 'LONG_TRANSACTIONS',
        finding: `${s.longTransactions.length} transaction(s) on the ${side} have been open longer than ${longTransactionSeconds} s (longest ${Math.round(worst)} s, user ${s.longTransactions[0]!.user})`,
        mitigation:
          'installing capture and fence triggers waits for their locks: finish or kill them before starting',
      });
    }
    if (s.maxConnections && s.activeConnections >= 0.8 * s.maxConnections) {
      out.push({
        severity: 'medium',
        code: 'CONNECTIONS_NEAR_LIMIT',
        finding: `the ${side} has ${s.activeConnections} of ${s.maxConnections} connections in use`,
        mitigation:
          'the copy opens several connections per table slice: raise max_connections or lower the copy parallelism',
      });
    }
    if (s.replica && (s.replica.lagSeconds ?? 0) > 0) {
      out.push({
        severity: 'medium',
        code: 'REPLICA_LAG',
        finding: `the ${side} is a replica ${s.replica.lagSeconds} s behind ${s.replica.source ?? 'its primary'}`,
        mitigation: 'plan against the primary, or wait until the replica has caught up',
      });
    }
  }
  for (const capability of ['create triggers', 'create tables']) {
    const p = has(source, capability);
    if (p && !p.granted) {
      out.push({
        severity: 'blocking',
        code: 'SOURCE_PRIVILEGE_MISSING',
        finding: `the source user may not ${p.capability} (${p.detail})`,
        mitigation: 'grant TRIGGER and CREATE on the source schema to the migration user',
      });
    }
  }
  const readOnlyFence = has(source, 'set the');
  if (readOnlyFence && !readOnlyFence.granted) {
    out.push({
      severity: 'low',
      code: 'READ_ONLY_FENCE_UNAVAILABLE',
      finding: `the source user may not ${readOnlyFence.capability} (${readOnlyFence.detail})`,
      mitigation: 'the trigger fence is used instead; grant the privilege to use the read-only fence',
    });
  }
  const targetCreate = has(target, 'create tables');
  if (targetCreate && !targetCreate.granted) {
    out.push({
      severity: 'blocking',
      code: 'TARGET_PRIVILEGE_MISSING',
      finding: `the target user may not ${targetCreate.capability} (${targetCreate.detail})`,
      mitigation: 'grant CREATE on the target schema (database) to the migration user',
    });
  }
  if (source.readOnly) {
    out.push({
      severity: 'blocking',
      code: 'SOURCE_READ_ONLY',
      finding: `the source is read-only${source.replica ? ' (a replica)' : ''}: change-capture triggers cannot be installed`,
      mitigation: 'point the source connection at the primary',
    });
  }
  if (source.engine === 'mysql' && source.replica) {
    out.push({
      severity: 'blocking',
      code: 'TRIGGERS_SILENT_ON_REPLICA',
      finding:
        'the source is a MySQL replica: triggers on a replica do not fire for row-based events from its primary (the default format there), so trigger capture would miss changes',
      mitigation: 'point the source connection at the primary',
    });
  }
  if (target.readOnly) {
    out.push({
      severity: 'blocking',
      code: 'TARGET_READ_ONLY',
      finding: 'the target is read-only',
      mitigation: 'point the target connection at a writable primary',
    });
  }
  out.push(...collationFindings(source, target));
  const logical =
    source.engine === 'postgres'
      ? source.settings.wal_level === 'logical'
      : source.settings.log_bin === 'ON' && source.settings.binlog_format === 'ROW';
  out.push({
    severity: 'info',
    code: 'CAPTURE_METHOD',
    finding: logical
      ? 'the source could also feed log-based capture; trigger-based capture is the default'
      : `trigger-based capture will be used (log-based capture would need ${source.engine === 'postgres' ? 'wal_level=logical' : 'log_bin=ON and binlog_format=ROW'})`,
    mitigation: 'none needed: triggers add one changelog insert per written row on the source',
  });
  return out;
}

/** How a PostgreSQL database sorts text by default, for a finding: "libc C.UTF-8", "icu en-US". */
function defaultOrder(s: SideState): string {
  const provider = s.settings.database_locale_provider ?? 'libc';
  return provider === 'icu'
    ? `icu ${s.settings.database_icu_locale ?? '?'}`
    : `${provider} ${s.settings.database_collate ?? '?'}`;
}

/**
 * PostgreSQL -> PostgreSQL: the databases' default collations (pg_database datcollate/datctype, the
 * locale provider and the collation library's version). Text columns without an explicit COLLATE
 * take the target's default, so they order and case-fold by it after cutover. The move itself
 * stays exact: the copier and the validator handle text keys by key set, never by range (see
 * src/dataplane/validate/validator.ts), and deterministic collations (every database default is
 * one) call two strings equal only when their bytes are, so unique keys accept the same values.
 */
export function collationFindings(source: SideState, target: SideState): Finding[] {
  if (source.engine !== 'postgres' || target.engine !== 'postgres') return [];
  const s = source.settings;
  const t = target.settings;
  if (s.database_collate === undefined || t.database_collate === undefined) return [];
  const out: Finding[] = [];
  const orderDiffers = defaultOrder(source) !== defaultOrder(target);
  const ctypeDiffers = s.database_ctype !== t.database_ctype;
  if (orderDiffers || ctypeDiffers) {
    const what = [
      orderDiffers
        ? `sorts text by ${defaultOrder(source)} on the source and by ${defaultOrder(target)} on the target`
        : null,
      ctypeDiffers
        ? `classifies characters by LC_CTYPE ${s.database_ctype ?? '?'} on the source and ${t.database_ctype ?? '?'} on the target`
        : null,
    ].filter((x) => x !== null);
    out.push({
      severity: 'medium',
      code: 'DEFAULT_COLLATION_DIFFERS',
      finding:
        `the target database's default collation differs from the source's: it ${what.join(', and ')}. ` +
        'Text columns without an explicit COLLATE get the target default: ' +
        (orderDiffers
          ? 'ORDER BY, range conditions (<, BETWEEN, keyset pagination) and text indexes return rows in another order, and LIKE prefix searches may stop using plain indexes; '
          : '') +
        (ctypeDiffers
          ? 'lower(), upper(), ILIKE and regular-expression classes may treat non-ASCII letters differently, so a unique index on lower(column) can accept or reject other values (its build after the load can fail); '
          : '') +
        'the copy and the validation stay exact (text keys are copied and compared by key set, not by range), and plain unique keys accept the same values (default collations compare equality byte by byte)',
      mitigation: `create the target database with the source's locale (CREATE DATABASE ... TEMPLATE template0 ${
        (s.database_locale_provider ?? 'libc') === 'icu'
          ? `LOCALE_PROVIDER icu ICU_LOCALE '${s.database_icu_locale ?? ''}' `
          : ''
      }LC_COLLATE '${s.database_collate ?? ''}' LC_CTYPE '${s.database_ctype ?? ''}'), or accept the target's order after checking the queries that sort, range-scan or case-fold text`,
    });
  } else if (
    s.database_collation_version &&
    t.database_collation_version &&
    s.database_collation_version !== t.database_collation_version
  ) {
    out.push({
      severity: 'low',
      code: 'COLLATION_VERSION_DIFFERS',
      finding: `both databases sort text by ${defaultOrder(source)}, but with different collation library versions (${s.database_collation_version} on the source, ${t.database_collation_version} on the target): some strings may sort in another order after cutover; the target's indexes are built by its own library, so they are consistent, and the copy and validation compare text keys by key set`,
      mitigation:
        'usually nothing; if the application depends on the exact order of unusual strings (punctuation, mixed scripts), compare ORDER BY results on both sides',
    });
  }
  return out;
}

export function downtimeVerdict(
  findings: Finding[],
  accepted: string[],
  estimates: Estimates,
): { downtime: DowntimeCategory; reasons: string[]; canStartOnline: boolean } {
  const blockers = findings.filter((f) => f.severity === 'blocking' && !accepted.includes(f.code));
  const reasons: string[] = blockers.map(
    (f) => `${f.code}${f.table ? ` (${f.table}${f.column ? `.${f.column}` : ''})` : ''}: ${f.finding}`,
  );
  if (blockers.length) return { downtime: 'maintenance-window', reasons, canStartOnline: false };
  if (estimates.cutoverDowntimeSeconds === null) {
    return {
      downtime: 'maintenance-window',
      reasons: ['no measured sample: the write downtime cannot be bounded'],
      canStartOnline: true,
    };
  }
  if (estimates.catchUpSeconds === null) {
    return {
      downtime: 'maintenance-window',
      reasons: ['change capture cannot keep up with the source write rate'],
      canStartOnline: true,
    };
  }
  const d = estimates.cutoverDowntimeSeconds;
  if (d < 1)
    return { downtime: 'online', reasons: [`estimated write pause at cutover ${d} s`], canStartOnline: true };
  if (d < 60)
    return {
      downtime: 'near-zero',
      reasons: [`estimated write pause at cutover ${d} s`],
      canStartOnline: true,
    };
  return {
    downtime: 'maintenance-window',
    reasons: [`estimated write pause at cutover ${d} s`],
    canStartOnline: true,
  };
}

export function forwardPath(tables: TablePlan[], sourceEngine: string, targetEngine: string): string[] {
  const n = tables.length;
  return [
    `preflight: re-run these checks; stop on any blocking finding not accepted by name in the spec`,
    `prepare target: create ${n} table(s) on ${targetEngine} with primary keys only (secondary indexes and foreign keys come after the load)`,
    `install capture: add change-capture triggers and a changelog on the ${sourceEngine} source, before the copy starts`,
    `copy: ${n} table(s) in key-range slices, parents first (${tables
      .slice(0, 5)
      .map((t) => t.table)
      .join(', ')}${n > 5 ? ', ...' : ''}), checkpointed per chunk`,
    'build: secondary indexes, then foreign keys (NOT VALID, then validated), then identity/sequence values set past the maximum',
    'catch up: apply the changelog by primary key until the lag stays under the threshold',
    'validate: row counts and chunked checksums on both sides, drill down to differing keys, re-check after catch-up',
    'await approval: the named approvers release the cutover',
    'cutover: fence writes on the source, drain capture to zero, validate what changed since the last validation, start reverse capture (target -> source), switch routing; writes resume on the target, the source stays fenced',
    'rollback window: the source keeps receiving every write made on the target',
    'finalize: remove capture triggers and changelogs on both sides, lift the source fence',
  ];
}

export function backwardPath(tables: TablePlan[]): string[] {
  const lossy = tables.flatMap((t) =>
    t.columns.filter((c) => !c.reverseLossless).map((c) => `${t.table}.${c.column}`),
  );
  return [
    'before cutover: stop capture, drop the capture triggers and changelog on the source, drop what was created on the target; the source was never fenced or changed otherwise',
    'after cutover: fence writes on the target, drain reverse capture so every write made on the target reaches the source, validate, switch routing back to the source, lift the source fence',
    lossy.length
      ? `reverse replication may fail for values the source columns cannot hold: ${lossy.slice(0, 10).join(', ')}${lossy.length > 10 ? ` and ${lossy.length - 10} more` : ''} (see REVERSE_LOSSY findings)`
      : 'every target column maps back to its source column without loss',
    'then: remove reverse capture from the target and leave the target for inspection or drop it',
  ];
}
