// Errors an engine throws for requests no retry can fix (a schema that does not exist, a URL that
// names no database, a malformed URL). The activity layer maps them to non-retryable failures.
// Messages name what is wrong and never include a URL or password.
export class EngineInputError extends Error {
  override name = 'EngineInputError';
}

/**
 * A post-load statement (unique index, foreign key, CHECK) the target's rows do not satisfy. While
 * changes are still being applied this is usually transient — the applier converges by key, so a
 * parent can be deleted a batch before its children — and the caller catches up and tries again;
 * when it persists, the source's own rows violate the constraint. Not retryable as it is: retrying
 * the same statement on the same rows fails the same way.
 */
export class ConstraintNotMet extends Error {
  override name = 'ConstraintNotMet';
  constructor(
    readonly statement: string,
    readonly code: string,
  ) {
    // The driver's own text can quote row values (MySQL "Duplicate entry '...'"): never carried.
    super(`the target's rows do not satisfy ${statement} yet (${code})`);
  }
}
