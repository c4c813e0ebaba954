export * from './metrics';
export * from './bootstrap';
export * from './confusions';
