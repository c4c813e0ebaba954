export * from './inference-run';
export * from './predict';
