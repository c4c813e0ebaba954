export * from './server';
export * from './inference';
export * from './models';
