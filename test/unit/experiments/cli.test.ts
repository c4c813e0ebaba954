import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from '../../support/tmp';
import { chartData, fakeConfig, writeFakeRun } from '../../support/fake-runs';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/tim.js');
const tim = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });

describe('sweep and report commands', () => {
  it('sweep --dry-run lists one shard; a bad grid key is a one-line error', () => {
    const t = tmpDir();
    try {
      const r = tim(ROOT, 'sweep', '--config', 'configs/sweeps/tiny.yaml', '--dry-run', '--shard', '1/2', '--out', t.dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([`2 of 4 runs in ${t.dir} (shard 1/2)`, '  pending     resize-stretch_batch_size-16', '  pending     resize-stretch_batch_size-8']);
      const bad = path.join(t.dir, 'bad.yaml');
      fs.writeFileSync(bad, 'base: quickstart.yaml\ngrid:\n  train.epoch: [1, 2]\n');
      const e = tim(ROOT, 'sweep', '--config', bad);
      expect(e.status).toBe(1);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
      expect(e.stderr).toMatch(/unknown key 'train\.epoch'; did you mean 'train\.epochs'/);
      // --set: a key the grid varies, and job files that would not carry it, are one-line errors.
      for (const [args, message] of [
        [['--set', 'data.resize=stretch'], /--set 'data\.resize=stretch': tiny\.yaml varies data\.resize \(grid\)/],
        [['--set', 'train.epochs=1', '--emit', 'slurm'], /--set with --emit: the cluster's tasks read only the sweep file/],
      ] as const) {
        const s = tim(ROOT, 'sweep', '--config', 'configs/sweeps/tiny.yaml', '--out', path.join(t.dir, 'never'), ...args);
        expect([s.status, s.stderr.trim().split('\n').length]).toEqual([1, 1]);
        expect(s.stderr).toMatch(message);
      }
      expect(fs.existsSync(path.join(t.dir, 'never'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('report writes the page with the runs’ histories and metrics and prints its path', () => {
    const t = tmpDir();
    try {
      const run = writeFakeRun(path.join(t.dir, 'letterbox-seed7'), fakeConfig(), { epochs: 3 });
      const r = tim(t.dir, 'report', '--runs', run, '--out', 'out/report.html');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${path.join('out', 'report.html')}\n`);
      const data = chartData(fs.readFileSync(path.join(t.dir, 'out', 'report.html'), 'utf8'));
      expect(data.runs.map((entry) => entry.name)).toEqual(['letterbox-seed7']);
      const history = fs.readFileSync(path.join(run, 'history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { val_acc: number });
      expect(data.runs[0]!.history.map((h) => h.val_acc)).toEqual(history.map((h) => h.val_acc));
      const metrics = JSON.parse(fs.readFileSync(path.join(run, 'metrics.json'), 'utf8')) as { accuracy: number };
      expect(data.intervals.accuracy?.[0]).toMatchObject({ name: 'letterbox-seed7', value: metrics.accuracy });
    } finally {
      t.cleanup();
    }
  });
});
