// Every activity the worker registers. Workflows import this module as a type only.
export { analyzeSourceSchema, assemblePlan, inspectDatabase, measureSample } from './plan';
export { catchUp, installCapture, removeCapture } from './capture';
export { copyTable } from './copy';
export { dropTargetSchema, prepareTargetSchema } from './schema';
export { validateTables } from './validate';
