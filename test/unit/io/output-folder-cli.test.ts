import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../../src/cli/main';
import { folderSnapshot } from '../../support/folder-snapshot';
import { tmpDir } from '../../support/tmp';
import { fakeConfig, writeFakeTraining } from '../../support/fake-runs';

/** Every command that writes a folder refuses, before any work, one it did not write: exit 1, one line naming it. */
async function tim(...args: string[]): Promise<{ code: number; errors: string[] }> {
  const errors: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(...String(chunk).split('\n').filter((l) => l.startsWith('tim: ')));
    return true;
  });
  try {
    return { code: await main(args), errors };
  } finally {
    spy.mockRestore();
  }
}

describe('commands that write folders never replace what Tim did not write', () => {
  const t = tmpDir();
  const checkpoints = path.join(t.dir, 'checkpoints');
  const run = path.join(checkpoints, 'run');
  const site = path.join(t.dir, 'site');
  let before: Record<string, string>;
  beforeAll(() => {
    writeFakeTraining(run, fakeConfig());
    for (const c of ['best', 'last']) {
      fs.mkdirSync(path.join(run, c));
      fs.writeFileSync(path.join(run, c, 'model.json'), '{}');
    }
    fs.writeFileSync(path.join(checkpoints, 'notes.md'), 'mine');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'about.html'), '<p>mine</p>');
    before = folderSnapshot(t.dir);
  });
  afterAll(() => t.cleanup());
  afterEach(() => expect(folderSnapshot(t.dir)).toEqual(before));

  it.each([
    ['export web --out <checkpoints root>', () => ['export', '--run', run, '--format', 'web', '--out', checkpoints], () => `${checkpoints}: holds Tim runs (run)`],
    ['export web --out <a run>', () => ['export', '--run', run, '--format', 'web', '--out', run], () => `${run}: is a Tim run (best, config.yaml`],
    ['export web --out <a run>/best', () => ['export', '--run', run, '--format', 'web', '--out', path.join(run, 'best')], () => `${path.join(run, 'best')}: is the best/ checkpoint of the run`],
    ['export web --out <a folder of the user>', () => ['export', '--run', run, '--format', 'web', '--out', site], () => `${site}: holds files Tim did not write (about.html)`],
    ['export onnx --out <a run file>', () => ['export', '--run', run, '--format', 'onnx', '--out', path.join(run, 'config.yaml')], () => `${path.join(run, 'config.yaml')}: is the run's own config.yaml`],
    ['export onnx --out <a folder>', () => ['export', '--run', run, '--format', 'onnx', '--out', site], () => `${site}: is a folder; expected a file name (e.g. ${path.join(site, 'out.onnx')})`],
    ['weights import --out <a run>/best', () => ['weights', 'import', '--arch', 'tiny_cnn', '--from', 'none.pth', '--out', path.join(run, 'best')], () => `${path.join(run, 'best')}: is the best/ checkpoint`],
    ['data synth --out <checkpoints root>', () => ['data', 'synth', '--out', checkpoints], () => `${checkpoints}: holds Tim runs (run)`],
    ['evaluate --data --out <a folder of the user>', () => ['evaluate', '--run', run, '--data', site, '--out', site], () => `${site}: holds files Tim did not write (about.html)`],
    ['evaluate --out <another run>', () => ['evaluate', '--run', run, '--out', checkpoints], () => `${checkpoints}: holds Tim runs (run)`],
  ])('%s is refused', async (_what, args, message) => {
    const r = await tim(...args());
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(`tim: ${message()}`);
  });
});
