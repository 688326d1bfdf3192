// Lock facts shared by the PostgreSQL modules that take table locks with a short lock_timeout
// (DDL, change capture install/removal, the write fence): which error is a lock timeout, and which
// granted lock modes a waiting SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE lock queues behind.

/** lock_not_available: the statement gave up waiting for a lock (nothing was changed). */
export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '55P03';
}

/** What CREATE TRIGGER, ALTER TABLE ... ENABLE TRIGGER and LOCK ... SHARE ROW EXCLUSIVE wait for. */
export const CONFLICTS_SHARE_ROW_EXCLUSIVE = [
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

/** DROP TRIGGER and DROP TABLE take ACCESS EXCLUSIVE: every lock conflicts, a reader's too. */
export const CONFLICTS_ACCESS_EXCLUSIVE = [
  ...CONFLICTS_SHARE_ROW_EXCLUSIVE,
  'AccessShareLock',
  'RowShareLock',
];
