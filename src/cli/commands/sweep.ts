import { writeOut } from '../../core/log';
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { TimError } from '../../core/errors';
import { parseShard, shardFromEnv, type Shard } from '../../experiments/shard';
import { CLUSTER_ENGINES, writeClusterFiles, type ClusterEngine, type ClusterOptions } from '../../experiments/cluster';
import { planSweep, runSweep, sweepOutDir, waitForShards } from '../../experiments/sweep';
import { expandSweep, loadSweepSpec, withOverrides } from '../../experiments/sweep-spec';
import { writeSweepSummary } from '../../experiments/summary';

/** The job-file options of --emit, spelled as on the command line. */
interface SweepArgs extends Omit<ClusterOptions, 'out' | 'shards'> {
  config: string;
  set: string[];
  out?: string;
  shard?: string;
  shards?: number;
  summarize: boolean;
  'dry-run': boolean;
  emit?: ClusterEngine;
  'wait-shards'?: number;
}

function chosenShard(args: SweepArgs): Shard | undefined {
  if (args.shard !== undefined) {
    if (args.shards !== undefined) throw new TimError('give either --shard i/n or --shards N, not both');
    return parseShard(args.shard);
  }
  return shardFromEnv(process.env, args.shards);
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: 'run a grid of configs (resumable; shardable across a job array)',
  builder: (y) =>
    y
      .option('config', { alias: 'c', type: 'string', demandOption: true, describe: 'sweep file: a base config and a grid of dotted keys to value lists' })
      .option('set', { type: 'string', array: true, default: [] as string[], describe: "override a key in every run, as the file's fixed: does, e.g. --set train.epochs=2 (repeatable; not a key the sweep varies)" })
      .option('out', { type: 'string', describe: "sweep folder (default: the file's out:, else checkpoints/sweeps/<name>)" })
      .option('shard', { type: 'string', describe: 'run only slice i of n (0-based), e.g. --shard 0/4' })
      .option('shards', { type: 'number', describe: 'number of slices; the index comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX' })
      .option('summarize', { type: 'boolean', default: false, describe: 'only rewrite summary.csv and summary.md from the finished runs' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the runs of this shard and where each stands, run nothing' })
      .option('emit', { choices: CLUSTER_ENGINES, describe: 'write job files into <out>/cluster/ instead of running: slurm (sbatch --array + dependent summary job) or k8s (Indexed Job + summary Job)' })
      .option('wait-shards', { type: 'number', describe: 'with --summarize: first wait until N shards have ended (their markers in <out>/shards/)' })
      .option('gpus', { type: 'number', describe: 'with --emit: GPUs per task (default 1; 0 for none)' })
      .option('cpus', { type: 'number', describe: 'with --emit: CPU cores per task' })
      .option('mem', { type: 'string', describe: 'with --emit: memory per task (Slurm 32G, Kubernetes 32Gi)' })
      .option('time', { type: 'string', describe: 'with --emit slurm: time limit per task, e.g. 12:00:00' })
      .option('partition', { type: 'string', describe: 'with --emit slurm: the partition' })
      .option('image', { type: 'string', describe: 'with --emit k8s: the container image with Tim in the current folder' })
      .option('claim', { type: 'string', describe: "with --emit k8s: the persistent volume claim holding the sweep folder (default tim-shared)" })
      .option('workdir', { type: 'string', describe: 'with --emit: the folder Tim runs from on the cluster (default: the current folder)' })
      .example('$0 sweep --config configs/sweeps/tiny.yaml --emit slurm --gpus 0', 'write <out>/cluster/submit.sh, then run it on the login node')
      .example('$0 sweep --config configs/sweeps/padding_batch.yaml', 'run every combination here, skipping finished ones')
      .example('$0 sweep --config configs/sweeps/recipe_ablation.yaml --set train.epochs=3 --set train.max_batches_per_epoch=2 --out /tmp/ablation', 'every run of the sweep at a smaller scale')
      .example('$0 sweep --config configs/sweeps/padding_batch.yaml --shard $SLURM_ARRAY_TASK_ID/4', 'one slice per array task'),
  handler: async (args) => {
    if (args.emit && args.set.length > 0) throw new TimError("--set with --emit: the cluster's tasks read only the sweep file, so put the keys in its fixed: instead");
    const spec = withOverrides(loadSweepSpec(args.config), args.set);
    const out = sweepOutDir(spec, args.out);
    if (args.emit) {
      const runs = expandSweep(spec).length;
      const outKey = args.out === undefined && spec.out !== undefined ? `${path.basename(spec.file)}: out` : '--out';
      const files = writeClusterFiles(args.emit, spec, runs, { out, outKey, shards: args.shards, gpus: args.gpus, cpus: args.cpus, mem: args.mem, time: args.time, partition: args.partition, image: args.image, claim: args.claim, workdir: args.workdir });
      writeOut(`${files.join('\n')}\n`);
      return;
    }
    if (args.summarize) {
      if (args['wait-shards'] !== undefined) {
        const n = args['wait-shards'];
        if (!Number.isInteger(n) || n < 1) throw new TimError(`--wait-shards: expected a whole number ≥ 1, got ${n}`);
        await waitForShards(out, n);
      }
      const s = writeSweepSummary(out, { resamples: spec.evaluate.bootstrap, seed: spec.evaluate.seed });
      writeOut(`${s.md}\n${s.csv}\n`);
      return;
    }
    const shard = chosenShard(args);
    if (args['dry-run']) {
      const { all, planned } = planSweep(spec, { out, shard });
      writeOut(`${planned.length} of ${all.length} runs in ${out}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}\n`);
      for (const r of planned) writeOut(`  ${r.status.padEnd(11)} ${r.name}\n`);
      return;
    }
    const result = await runSweep(spec, { out, shard });
    writeOut(`${result.summary.md}\n${result.summary.csv}\n`);
    if (result.failed.length > 0) {
      throw new TimError(`${result.failed.length} of ${result.planned.length} runs failed: ${result.failed.map((f) => `${f.name} (${f.error})`).join('; ')}`);
    }
  },
};
