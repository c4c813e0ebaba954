import type { CommandModule } from 'yargs';
import { TimError } from '../../core/errors';
import { parseShard, shardFromEnv, type Shard } from '../../experiments/shard';
import { planSweep, runSweep, sweepOutDir } from '../../experiments/sweep';
import { loadSweepSpec } from '../../experiments/sweep-spec';
import { writeSweepSummary } from '../../experiments/summary';

interface SweepArgs {
  config: string;
  out?: string;
  shard?: string;
  shards?: number;
  summarize: boolean;
  'dry-run': boolean;
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
      .option('out', { type: 'string', describe: "sweep folder (default: the file's out:, else checkpoints/sweeps/<name>)" })
      .option('shard', { type: 'string', describe: 'run only slice i of n (0-based), e.g. --shard 0/4' })
      .option('shards', { type: 'number', describe: 'number of slices; the index comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX' })
      .option('summarize', { type: 'boolean', default: false, describe: 'only rewrite summary.csv and summary.md from the finished runs' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the runs of this shard and where each stands, run nothing' })
      .example('$0 sweep --config configs/sweeps/padding_batch.yaml', 'run every combination here, skipping finished ones')
      .example('$0 sweep --config configs/sweeps/padding_batch.yaml --shard $SLURM_ARRAY_TASK_ID/4', 'one slice per array task'),
  handler: async (args) => {
    const spec = loadSweepSpec(args.config);
    const out = sweepOutDir(spec, args.out);
    if (args.summarize) {
      const s = writeSweepSummary(out, { resamples: spec.evaluate.bootstrap, seed: spec.evaluate.seed });
      process.stdout.write(`${s.md}\n${s.csv}\n`);
      return;
    }
    const shard = chosenShard(args);
    if (args['dry-run']) {
      const { all, planned } = planSweep(spec, { out, shard });
      process.stdout.write(`${planned.length} of ${all.length} runs in ${out}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}\n`);
      for (const r of planned) process.stdout.write(`  ${r.status.padEnd(11)} ${r.name}\n`);
      return;
    }
    const result = await runSweep(spec, { out, shard });
    process.stdout.write(`${result.summary.md}\n${result.summary.csv}\n`);
    if (result.failed.length > 0) {
      throw new TimError(`${result.failed.length} of ${result.planned.length} runs failed: ${result.failed.map((f) => `${f.name} (${f.error})`).join('; ')}`);
    }
  },
};
