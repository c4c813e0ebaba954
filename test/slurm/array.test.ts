import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { parseCsv } from '../../src/io/csv';
import { tmpDir } from '../support/tmp';

/**
 * A 2×2 sweep submitted for real to Slurm as a job array (the files of `tim sweep --emit
 * slurm`), ending with one summary of four runs written by the dependent summary job. Needs a
 * running Slurm: `scripts/slurm-local.sh start` (CI does it) and SLURM_CONF pointing at it.
 */

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'tim.js');

function slurmUp(): string | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
  if (r.error) return `sinfo not found (${r.error.message}); install slurm-wlm and munge and run scripts/slurm-local.sh start`;
  if (r.status !== 0) return `sinfo failed: ${r.stderr.trim()}; start Slurm with scripts/slurm-local.sh start and export SLURM_CONF`;
  if (!/idle|mixed|allocated/.test(r.stdout)) return `no usable Slurm node (sinfo says: ${r.stdout.trim() || 'nothing'})`;
  return undefined;
}

async function waitForJobs(ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = execFileSync('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T'], { encoding: 'utf8' }).trim();
    if (q === '') return;
    if (Date.now() > deadline) throw new Error(`Slurm jobs still queued or running after ${timeoutMs / 1000} s:\n${q}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

let t: ReturnType<typeof tmpDir>;
beforeAll(() => (t = tmpDir('tim-slurm-')));
afterAll(() => t.cleanup());

test('a 2×2 sweep submitted as a Slurm job array ends with one summary of four runs', async () => {
  const down = slurmUp();
  expect({ slurm: down ?? 'up' }).toEqual({ slurm: 'up' });

  const data = path.join(t.dir, 'synth');
  execFileSync(process.execPath, [BIN, 'data', 'synth', '--out', data, '--scale', '0.3'], { cwd: ROOT, stdio: 'pipe' });
  const sweepFile = path.join(t.dir, 'tiny.yaml');
  fs.writeFileSync(
    sweepFile,
    YAML.stringify({
      name: 'slurm_tiny',
      base: path.join(ROOT, 'configs', 'quickstart.yaml'),
      fixed: { 'data.root': data, 'data.image_size': 32, 'data.cache': false, 'train.epochs': 1, 'train.max_batches_per_epoch': 2, 'runtime.backend': 'cpu' },
      grid: { 'data.resize': ['letterbox', 'stretch'], 'train.batch_size': [4, 8] },
      evaluate: { bootstrap: 50, seed: 0 },
    }),
  );
  // A folder with spaces: the directives and shell lines must quote it for sbatch and bash.
  const out = path.join(t.dir, 'my sweeps', 'x');
  execFileSync(process.execPath, [BIN, 'sweep', '--config', sweepFile, '--out', out, '--emit', 'slurm', '--gpus', '0', '--cpus', '1'], { cwd: ROOT, stdio: 'pipe' });
  const submit = path.join(out, 'cluster', 'submit.sh');
  const ids = execFileSync('bash', [submit], { cwd: t.dir, encoding: 'utf8' }).trim().split(/\s+/);
  expect(ids).toHaveLength(2);
  await waitForJobs(ids, 840_000);

  const logs = fs.existsSync(path.join(out, 'logs')) ? fs.readdirSync(path.join(out, 'logs')).sort() : [];
  const logText = logs.map((f) => `== ${f}\n${fs.readFileSync(path.join(out, 'logs', f), 'utf8').slice(-2000)}`).join('\n');
  // Four array tasks and one summary job, each with its log.
  expect({ logs: logs.length, text: logs.length === 5 ? '' : logText }).toEqual({ logs: 5, text: '' });
  expect(logs.filter((f) => f.startsWith(`tim-slurm_tiny-${ids[0]}_`))).toHaveLength(4);
  const shards = fs.readdirSync(path.join(out, 'shards')).sort();
  expect(shards).toEqual(['0-of-4.json', '1-of-4.json', '2-of-4.json', '3-of-4.json']);

  const summary = parseCsv(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8'));
  expect({ rows: summary.length, logs: summary.length === 5 ? '' : logText }).toEqual({ rows: 5, logs: '' });
  expect(summary.slice(1).map((r) => r[0]).sort()).toEqual([
    'resize-letterbox_batch_size-4',
    'resize-letterbox_batch_size-8',
    'resize-stretch_batch_size-4',
    'resize-stretch_batch_size-8',
  ]);
  const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
  expect(md).toMatch(/4 of 4 runs finished/);
  // The summary job ran after the array: its summary is at least as new as every run's metrics.
  const summaryTime = fs.statSync(path.join(out, 'summary.md')).mtimeMs;
  for (const r of summary.slice(1)) expect(fs.statSync(path.join(out, r[0]!, 'metrics.json')).mtimeMs).toBeLessThanOrEqual(summaryTime);
  expect(parseCsv(fs.readFileSync(path.join(out, 'pairs.csv'), 'utf8'))).toHaveLength(5);
});
