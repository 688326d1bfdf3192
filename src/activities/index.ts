// Every activity the worker registers. Workflows import this module as a type only.
export { analyzeSourceSchema, assemblePlan, inspectDatabase, measureSample } from './plan';
export { catchUp, installCapture, removeCapture, sourceTableIdentities } from './capture';
export { copyTable } from './copy';
export { fenceState, fenceWrites, liftFence, readRouting, runHook, switchRouting } from './cutover';
export { advanceSourceSequences, prepareReverse } from './reverse';
export {
  checkTargetSchemaFree,
  dropTargetSchema,
  prepareTargetSchema,
  translateTargetSchema,
} from './schema';
export { validateChangedKeys, validateTables } from './validate';
