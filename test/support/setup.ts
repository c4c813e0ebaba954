import * as tf from '@tensorflow/tfjs';

// tfjs's production mode silences its "install tfjs-node" banner, which would otherwise
// clutter every test log on machines without the native backend.
tf.env().set('PROD', true);
