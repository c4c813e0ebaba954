import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { setLogLevel } from '../../../src/core/log';
import { k8sManifest, slurmFiles, writeClusterFiles } from '../../../src/experiments/cluster';
import { selectShard, shardFromEnv } from '../../../src/experiments/shard';
import type { RunSteps } from '../../../src/experiments/steps';
import { runSweep, shardMarker, waitForShards } from '../../../src/experiments/sweep';
import { expandSweep, loadSweepSpec } from '../../../src/experiments/sweep-spec';
import { tmpDir } from '../../support/tmp';
import { writeFakeEvaluation, writeFakeTraining } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

const TINY = path.resolve(__dirname, '../../../configs/sweeps/tiny.yaml');
const PADDING = path.resolve(__dirname, '../../../configs/sweeps/padding_batch.yaml');

describe('tim sweep --emit slurm', () => {
  const spec = loadSweepSpec(TINY);
  const runs = expandSweep(spec);

  it('writes an sbatch array of one task per shard and a summary job that waits for all of them', () => {
    const files = slurmFiles(spec, runs.length, { out: '/shared/tiny', shards: 3, gpus: 2, cpus: 4, mem: '16G', time: '02:00:00', partition: 'gpu', workdir: '/opt/tim' });
    const array = files['sweep.sbatch']!;
    expect(array).toMatch(/^#!\/bin\/bash\n/);
    expect(array).toContain('#SBATCH --array=0-2\n');
    expect(array).toContain('#SBATCH --gres=gpu:2\n');
    expect(array).toContain('#SBATCH --cpus-per-task=4\n');
    expect(array).toContain('#SBATCH --mem=16G\n');
    expect(array).toContain('#SBATCH --time=02:00:00\n');
    expect(array).toContain('#SBATCH --partition=gpu\n');
    expect(array).toContain('#SBATCH --output=/shared/tiny/logs/%x-%A_%a.out\n');
    expect(array).toContain(`cd /opt/tim\nexec node /opt/tim/bin/tim.js sweep --config ${TINY} --out /shared/tiny\n`);
    expect(files['summarize.sbatch']).toContain(`exec node /opt/tim/bin/tim.js sweep --config ${TINY} --out /shared/tiny --summarize\n`);
    expect(files['summarize.sbatch']).not.toContain('--array');
    const submit = files['submit.sh']!;
    expect(submit).toContain('array=$(sbatch --parsable /shared/tiny/cluster/sweep.sbatch)');
    expect(submit).toContain('sbatch --parsable --dependency=afterany:"$array" /shared/tiny/cluster/summarize.sbatch');
    expect(slurmFiles(spec, runs.length, { out: '/x', gpus: 0 })['sweep.sbatch']).not.toContain('--gres');
  });

  it("the array's task ids give shards that run every run exactly once", () => {
    for (const shards of [1, 2, 3, 4, 7]) {
      const array = slurmFiles(spec, runs.length, { out: '/x', shards })['sweep.sbatch']!;
      const m = /#SBATCH --array=(\d+)-(\d+)/.exec(array)!;
      const [lo, hi] = [Number(m[1]), Number(m[2])];
      const seen: string[] = [];
      for (let id = lo; id <= hi; id++) {
        // What Slurm sets in each array task's environment.
        const shard = shardFromEnv({ SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(lo), SLURM_ARRAY_TASK_MAX: String(hi), SLURM_ARRAY_TASK_COUNT: String(hi - lo + 1) });
        seen.push(...selectShard(runs, shard).map((r) => r.name));
      }
      expect(seen.sort()).toEqual(runs.map((r) => r.name).sort());
    }
  });

  it('writes the files into <out>/cluster/, scripts executable', () => {
    const t = tmpDir();
    try {
      const files = writeClusterFiles('slurm', spec, runs.length, { out: path.join(t.dir, 'sweep') });
      expect(files.map((f) => path.relative(t.dir, f)).sort()).toEqual(['sweep/cluster/submit.sh', 'sweep/cluster/summarize.sbatch', 'sweep/cluster/sweep.sbatch']);
      for (const f of files) expect(fs.statSync(f).mode & 0o111).not.toBe(0);
    } finally {
      t.cleanup();
    }
  });

  it('marks <out> as the sweep, so its tasks run there beside the job files and the logs', async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'sweep');
      writeClusterFiles('slurm', spec, runs.length, { out });
      // What the cluster writes there before a task starts: its log files.
      fs.mkdirSync(path.join(out, 'logs'));
      fs.writeFileSync(path.join(out, 'logs', 'tim-tiny-1_0.out'), '');
      const steps: RunSteps = { train: async (config, opts) => writeFakeTraining(opts.out, config), evaluate: async (dir) => writeFakeEvaluation(dir) };
      await expect(runSweep(spec, { out, shard: { index: 0, count: 4 }, steps })).resolves.toBeDefined();
    } finally {
      t.cleanup();
    }
  });
});

interface Container {
  image: string;
  command: string[];
  volumeMounts: unknown[];
}
interface JobDoc {
  metadata: { name: string };
  spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: Container[]; volumes: { persistentVolumeClaim: { claimName: string } }[] } } };
}

describe('tim sweep --emit k8s', () => {
  it('writes an Indexed Job of one pod per shard and a summary Job that waits for every shard', () => {
    const spec = loadSweepSpec(PADDING);
    const docs = YAML.parseAllDocuments(k8sManifest(spec, 4, { out: '/shared/sweeps/pb', gpus: 1, mem: '32Gi', cpus: 8, image: 'reg/tim:1', claim: 'pvc-a', workdir: '/app' })).map((d) => d.toJS() as JobDoc);
    expect(docs).toHaveLength(2);
    const [job, summary] = docs as [JobDoc, JobDoc];
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const c = job.spec.template.spec.containers[0]!;
    expect(c).toMatchObject({ image: 'reg/tim:1', workingDir: '/app', resources: { requests: { cpu: '8', memory: '32Gi' }, limits: { 'nvidia.com/gpu': '1' } } });
    expect(c.command).toEqual(['node', '/app/bin/tim.js', 'sweep', '--config', PADDING, '--out', '/shared/sweeps/pb', '--shards', '4']);
    expect(c.volumeMounts).toEqual([{ name: 'sweeps', mountPath: '/shared/sweeps' }]);
    expect(job.spec.template.spec.volumes[0]!.persistentVolumeClaim.claimName).toBe('pvc-a');
    expect(job.metadata.name).toMatch(/^[a-z0-9-]+$/);
    expect(summary.spec.template.spec.containers[0]!.command.slice(-3)).toEqual(['--summarize', '--wait-shards', '4']);
    // Each pod's JOB_COMPLETION_INDEX with --shards 4 is one shard of four.
    expect([0, 1, 2, 3].map((i) => shardFromEnv({ JOB_COMPLETION_INDEX: String(i) }, 4))).toEqual([0, 1, 2, 3].map((index) => ({ index, count: 4 })));
  });
});

describe('shard completion markers', () => {
  it('each shard leaves a marker when it ends, failures included, and the merge waits for all', async () => {
    const t = tmpDir();
    try {
      const spec = loadSweepSpec(TINY);
      const out = path.join(t.dir, 'out');
      const steps: RunSteps = {
        train: async (config, opts) => {
          if (config.name === 'resize-letterbox_batch_size-8') throw new Error('boom');
          writeFakeTraining(opts.out, config);
        },
        evaluate: async (dir) => writeFakeEvaluation(dir),
      };
      await runSweep(spec, { out, shard: { index: 0, count: 2 }, steps });
      expect(JSON.parse(fs.readFileSync(shardMarker(out, { index: 0, count: 2 }), 'utf8'))).toMatchObject({ failed: [{ name: 'resize-letterbox_batch_size-8' }] });
      await expect(waitForShards(out, 2, { timeoutMs: 50, pollMs: 10 })).rejects.toThrow(/shards 1 of 2 have not ended/);
      const waiting = waitForShards(out, 2, { timeoutMs: 60_000, pollMs: 20 });
      await runSweep(spec, { out, shard: { index: 1, count: 2 }, steps });
      await expect(waiting).resolves.toBeUndefined();
    } finally {
      t.cleanup();
    }
  });
});
