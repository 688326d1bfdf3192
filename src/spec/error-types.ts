// Failure types that no retry can fix. Shared by the activities (which mark such failures
// non-retryable) and the workflows (which list them in their retry policies as a second guard).
export const PERMANENT_ERROR_TYPES = [
  'InvalidSpec',
  'ConnectionNotConfigured',
  'PlanInputError',
  'EngineInputError',
  'RefusedError',
  'DatabaseRejected',
];
