// The two errors of value translation.
import { EngineInputError } from '../../engines/errors';

/** A value the target cannot take; the row translator adds the table, column and key. */
export class ValueProblem extends Error {}

/**
 * A source value that cannot be written to the target, naming the table, the column and the key.
 * No retry fixes it (an EngineInputError): the data or the plan's overrides must change.
 */
export class ValueTranslationError extends EngineInputError {
  override name = 'ValueTranslationError';
}
