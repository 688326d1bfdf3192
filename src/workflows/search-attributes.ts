// Custom search attributes: operators filter migrations in the Web UI by these. The dev server
// bootstrap registers every key listed here (src/temporal/dev-server.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MigrationName = defineSearchAttributeKey('MigrationName', SearchAttributeType.KEYWORD);
export const MigrationPhase = defineSearchAttributeKey('MigrationPhase', SearchAttributeType.KEYWORD);
export const SourceEngine = defineSearchAttributeKey('SourceEngine', SearchAttributeType.KEYWORD);
export const TargetEngine = defineSearchAttributeKey('TargetEngine', SearchAttributeType.KEYWORD);
export const MigrationStrategy = defineSearchAttributeKey('MigrationStrategy', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  MigrationName,
  MigrationPhase,
  SourceEngine,
  TargetEngine,
  MigrationStrategy,
];
