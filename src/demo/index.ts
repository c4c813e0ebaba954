export { createDemoServer, startDemo, DEFAULT_MAX_UPLOAD_BYTES, type DemoServerOptions } from './server';
export { explainInference, type DemoInference, type DemoResult, type DemoGuess } from './inference';
export { listDemoModels, type DemoModel } from './models';
