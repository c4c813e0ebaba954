import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { paintDataset } from '../../support/tiny-run';
import { tmpDir } from '../../support/tmp';

const ROOT = path.resolve(__dirname, '../../..');
const SCRIPT = path.join(ROOT, 'test', 'support', 'scripts', 'kernels-in-use.ts');

type Used = Record<'cpu' | 'wasm', { kernels: string[]; leanBackprop: boolean }>;

/** What a command installed, each in a fresh process so that neither inherits the other's kernels. */
function kernelsOf(command: 'train' | 'bench', dataRoot: string, work: string): Used {
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', SCRIPT, command, dataRoot, work], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TIM_WASM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`${command}: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Used;
}

describe('tim train and tim bench train', () => {
  const work = tmpDir();
  afterAll(() => work.cleanup());

  it('run the same kernels on cpu and wasm, as backend selection installs them', async () => {
    const data = path.join(work.dir, 'images');
    await paintDataset(data, 4);
    const trained = kernelsOf('train', data, path.join(work.dir, 'train'));
    const benched = kernelsOf('bench', data, path.join(work.dir, 'bench'));
    expect(benched).toEqual(trained);
    // Not vacuous: the cpu filter gradients (once installed by train alone) and the wasm gradients are there.
    expect(trained.cpu.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'TimBatchNormTraining']));
    expect(trained.wasm.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'TimBatchNormTraining']));
    expect(trained.cpu.leanBackprop).toBe(true);
  }, 240_000);
});
