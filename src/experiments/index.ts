export * from './sweep-spec';
export * from './shard';
export * from './steps';
export * from './sweep';
export * from './summary';
export * from './run-data';
export * from './csv';
export * from './html';
