// Every activity the worker registers. Workflows import this module as a type only.
export { analyzeSourceSchema, assemblePlan, inspectDatabase, measureSample } from './plan';
