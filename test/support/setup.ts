import * as tf from '@tensorflow/tfjs';

// tfjs's production mode silences its "install tfjs-node" banner, which would otherwise
// clutter every test log on machines without the native backend.
tf.env().set('PROD', true);

// Jest already runs one worker per core; XNNPACK threads on top of that would only contend.
process.env.TIM_WASM_THREADS ??= '1';
