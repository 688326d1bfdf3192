// Cross-engine validation: canonical row encoding (canonical.ts), row hashes and chunk digests
// (checksum.ts), chunked resumable table validation with drill-down and re-check (validator.ts),
// validation of an explicit set of keys (keys-validator.ts), and RangeReaders over the engines' row
// access (readers.ts).
export {
  canonicalColumn,
  canonicalColumns,
  canonicalRow,
  canonicalValue,
  CanonicalError,
  type CanonicalColumn,
  type Domain,
} from './canonical';
export type { WorkerReaderSpec } from './chunk-sides';
export { keyTranslation, targetColumnModel, type KeyTranslation } from './keys';
export {
  emptyKeysTotals,
  validateKeys,
  type KeysValidationReport,
  type KeysValidationTotals,
  type ValidateKeysOptions,
} from './keys-validator';
export { openRangeReader, rangeReaderFrom, rawReaderFrom, type ClosableRangeReader } from './readers';
export {
  keyModeFor,
  validateTable,
  type RangeReader,
  type RawRangeReader,
  type TableRef,
  type TableValidationReport,
  type ValidateTableOptions,
  type ValidationCheckpoint,
  type ValidationTotals,
} from './validator';
