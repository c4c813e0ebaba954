export * from './metrics';
export * from './bootstrap';
export * from './confusions';
export * from './confusion-png';
export * from './predict';
export { evaluateRun, formatSummary, type EvaluateOptions, type EvaluationResult, type MetricsJson, type PerClassMetricsRow } from './run';
export { compareRuns, evaluateAndCompare, type Comparison, type ComparisonRow } from './compare';
