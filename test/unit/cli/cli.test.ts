import { spawnSync } from 'child_process';
import * as path from 'path';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
const tim = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

describe('tim CLI', () => {
  it('lists every command in --help', () => {
    const r = tim('--help');
    expect(r.status).toBe(0);
    for (const c of ['train', 'lr-find', 'evaluate', 'average', 'explain', 'predict', 'sweep', 'report', 'demo', 'weights', 'model', 'data', 'bench', 'doctor', 'quickstart']) {
      expect(r.stdout).toMatch(new RegExp(`tim ${c}\\b`));
    }
  });

  it('an unknown command is a one-line error with a non-zero exit', () => {
    const r = tim('trian');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tim: .*train/);
  });

  it('doctor reports the backends', () => {
    const r = tim('doctor', '--json');
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as { backends: { backend: string; available: boolean }[] };
    expect(info.backends.map((b) => b.backend)).toEqual(['gpu', 'webgpu', 'node', 'wasm', 'cpu']);
    expect(info.backends.find((b) => b.backend === 'cpu')?.available).toBe(true);
  });
});
