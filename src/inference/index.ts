export * from './run';
export * from './predict';
