import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { tmpDir } from '../../support/tmp';

/**
 * An exhausted wasm heap ends a training run with the one-line message and a non-zero exit code,
 * on one thread (the runtime error is caught) and on XNNPACK threads (where the process would
 * otherwise spin for ever, and the heap watchdog ends it).
 */

const ROOT = path.resolve(__dirname, '../../..');
const TIM = path.join(ROOT, 'bin', 'tim.js');
const t = tmpDir();

beforeAll(() => {
  const synth = spawnSync(process.execPath, [TIM, 'data', 'synth', '--out', path.join(t.dir, 'data'), '--scale', '0.1'], { encoding: 'utf8' });
  expect(synth.status).toBe(0);
}, 120_000);

afterAll(() => t.cleanup());

// One thread: the error is caught (exit 1). Threads: the watchdog kills the stuck process (137).
describe.each([
  { threads: '1', status: 1, signal: null },
  { threads: '2', status: null, signal: 'SIGKILL' },
])('with TIM_WASM_THREADS=$threads', ({ threads, status, signal }) => {
  it('an oversized micro-batch stops with the out-of-memory line', () => {
    const r = spawnSync(
      process.execPath,
      [TIM, 'train', '--config', 'efficientnet_b0', '--set', 'model.pretrained=none', '--set', `data.root=${path.join(t.dir, 'data')}`,
        '--set', 'train.epochs=1', '--set', 'train.max_batches_per_epoch=1', '--set', 'train.batch_size=64', '--set', 'train.micro_batch=64', '--out', path.join(t.dir, `run-${threads}`)],
      { encoding: 'utf8', env: { ...process.env, TIM_WASM_THREADS: threads }, timeout: 240_000 },
    );
    expect({ status: r.status, signal: r.signal }).toEqual({ status, signal });
    expect(r.stderr).toMatch(/^tim: wasm heap exhausted \(4 GiB cap\).*; lower train\.micro_batch or data\.image_size$/m);
  }, 250_000);
});
