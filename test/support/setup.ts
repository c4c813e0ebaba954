import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

// tfjs's production mode silences its "install tfjs-node" banner, which would otherwise
// clutter every test log on machines without the native backend.
tf.env().set('PROD', true);

// Jest already runs one worker per core; XNNPACK threads on top of that would only contend.
process.env.TIM_WASM_THREADS ??= '1';

// Image caches default to $XDG_CACHE_HOME/tim: tests keep theirs out of the user's home.
process.env.XDG_CACHE_HOME ??= path.join(os.tmpdir(), `tim-test-cache-${process.getuid?.() ?? 'user'}`);
