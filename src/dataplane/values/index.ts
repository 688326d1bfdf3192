// Value translation between engines' wire forms (docs/DATAPLANE.md), driven by the column mapping.
export {
  columnConverter,
  keyTranslator,
  rowTranslator,
  ValueProblem,
  ValueTranslationError,
  type ColumnConversion,
  type Converter,
  type RowTranslator,
  type ZeroDatePolicy,
} from './translate';
