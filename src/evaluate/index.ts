export * from './metrics';
export * from './bootstrap';
export * from './confusions';
export * from './confusion-png';
export * from './predict';
export { evaluateRun, type EvaluateOptions, type EvaluationResult } from './evaluate-run';
export * from './report';
export { compareRuns, evaluateAndCompare, type Comparison, type ComparisonRow } from './compare';
