// Failure types that no retry can fix. Shared by the activities (which mark such failures
// non-retryable) and the workflows (which list them in their retry policies as a second guard).
export const PERMANENT_ERROR_TYPES = [
  'InvalidSpec',
  'ConnectionNotConfigured',
  'PlanInputError',
  'EngineInputError',
  'RefusedError',
  'DatabaseRejected',
  // A source value the target cannot take, named by table, column and key (data or overrides must change).
  'ValueTranslationError',
  // A source schema the target cannot express (every table.column named).
  'SchemaTranslationError',
  // Columns the validator cannot compare (no counterpart on the target, unknown type).
  'CanonicalError',
  // A column that cannot be replicated back from the target (accept it in cutover.acceptLossyReverse).
  'ReverseReplicationError',
  // The plan has blocking findings (accept them by code in acceptRisks), or validation found differences.
  'PlanBlocked',
  'ValidationMismatch',
  // A newer routing switch is recorded; a hook the worker has no CUTOVER_HOOK_<NAME> for.
  'RoutingConflict',
  'HookNotConfigured',
  // The source's load reached copy.criticalLoad: the copy stops (pt-osc --critical-load).
  'CriticalLoadError',
  // A post-load index or constraint the target's rows violate: the workflow catches up and tries again.
  'ConstraintNotMet',
];
