// Errors an engine throws for requests no retry can fix (a schema that does not exist, a URL that
// names no database, a malformed URL). The activity layer maps them to non-retryable failures.
// Messages name what is wrong and never include a URL or password.
export class EngineInputError extends Error {
  override name = 'EngineInputError';
}
