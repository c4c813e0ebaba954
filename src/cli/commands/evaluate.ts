import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import type { BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { log, writeOut } from '../../core/log';
import { evaluateAndCompare } from '../../evaluate/compare';
import { evaluateRun, formatSummary } from '../../evaluate/evaluate-run';
import { formatConfidence } from '../../evaluate/confidence-text';
import { DEFAULT_KEEP } from '../../evaluate/unknown';
import { writeFileAtomic } from '../../io/atomic';
import { CHECKPOINTS_DIR, latestRun, openRunFolder } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';
import { withBackend } from '../common';

interface EvaluateArgs {
  run?: string;
  runs?: string[];
  data?: string;
  tta: 'none' | 'flip';
  bootstrap: number;
  seed: number;
  'sample-fraction': number;
  'batch-size'?: number;
  out?: string;
  'logit-adjust'?: number;
  unknown?: string;
  'keep-known': number;
  backend: BackendChoice | undefined;
}

function builder(y: Argv): Argv<EvaluateArgs> {
  return withBackend(y)
    .option('run', { type: 'string', describe: 'run folder to evaluate (default: the latest run under checkpoints/)' })
    .option('runs', { type: 'string', array: true, describe: 'compare several run folders in one table (evaluating those without metrics.json first)' })
    .option('data', { type: 'string', describe: 'evaluate on another image folder (one sub-folder per class, matched by name) instead of the held-out split' })
    .option('tta', { choices: ['none', 'flip'] as const, default: 'none' as const, describe: 'test-time augmentation: flip averages the softmax of each image and its mirror' })
    .option('bootstrap', { type: 'number', default: 1000, describe: 'bootstrap resamples of the held-out predictions' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the bootstrap resampling' })
    .option('sample-fraction', { type: 'number', default: 1, describe: 'bootstrap resample size as a fraction of the held-out split (0.2 = the reference\'s "20% sample")' })
    .option('batch-size', { type: 'number', describe: "images per forward pass (default: the run's train.batch_size)" })
    .option('out', {
      type: 'string',
      describe: `with --runs: output prefix for .md and .csv (default ${CHECKPOINTS_DIR}/comparison); otherwise the output folder (default: the run folder, or <run>/external-<name> with --data)`,
    })
    .option('logit-adjust', {
      type: 'number',
      describe: "post-hoc logit adjustment: predict argmax(logits − TAU·log prior), priors from the run's training split (output in <out>/logit-adjust-TAU/)",
    })
    .option('unknown', { type: 'string', describe: 'a folder of paintings by other artists: AUROC, false-acceptance and known-artist rejection rates of the unknown-artist score' })
    .option('keep-known', { type: 'number', default: DEFAULT_KEEP, describe: "share of the known artists' held-out images the unknown-artist threshold keeps" })
    .conflicts('run', 'runs')
    .check((a) => {
      if (!Number.isInteger(a.bootstrap) || a.bootstrap < 1) throw new TimError(`--bootstrap: expected a positive whole number, got ${a.bootstrap}`);
      const f = a['sample-fraction'];
      if (!(f > 0 && f <= 1)) throw new TimError(`--sample-fraction: expected a number in (0, 1], got ${f}`);
      if (a['batch-size'] !== undefined && (!Number.isInteger(a['batch-size']) || a['batch-size'] < 1)) {
        throw new TimError(`--batch-size: expected a positive whole number, got ${a['batch-size']}`);
      }
      const keep = a['keep-known'];
      if (!(keep > 0 && keep <= 1)) throw new TimError(`--keep-known: expected a share in (0, 1], got ${keep}`);
      if (a.runs && a.unknown) throw new TimError('--unknown evaluates one run; it cannot be combined with --runs');
      if (a.runs && a.data) throw new TimError('--data evaluates one run; it cannot be combined with --runs');
      const tau = a['logit-adjust'];
      if (tau !== undefined && !(Number.isFinite(tau) && tau >= 0)) throw new TimError(`--logit-adjust: expected a number >= 0 (tau), got ${tau}`);
      if (a.runs && tau !== undefined) throw new TimError('--logit-adjust evaluates one run; it cannot be combined with --runs');
      return true;
    });
}

async function handler(a: EvaluateArgs): Promise<void> {
  const common = {
    bootstrap: a.bootstrap,
    seed: a.seed,
    sampleFraction: a['sample-fraction'],
    tta: a.tta,
    batchSize: a['batch-size'],
  };
  if (a.runs) {
    if (a.runs.length === 0) throw new TimError('--runs: name at least one run folder');
    const first = openRunFolder(a.runs[0] as string);
    await selectBackend(a.backend ?? first.config().runtime.backend, { forTraining: false });
    const cmp = await evaluateAndCompare(a.runs, common);
    const prefix = a.out ?? path.join(CHECKPOINTS_DIR, 'comparison');
    writeFileAtomic(`${prefix}.md`, cmp.markdown);
    writeFileAtomic(`${prefix}.csv`, cmp.csv);
    writeFileAtomic(`${prefix}-pairs.csv`, cmp.pairsCsv);
    writeOut(cmp.markdown);
    log.info(`wrote ${prefix}.md, ${prefix}.csv and ${prefix}-pairs.csv`);
    return;
  }
  const run = a.run ? openRunFolder(a.run) : latestRun();
  if (!a.run) log.info(`evaluating the latest run: ${run.dir}`);
  await selectBackend(a.backend ?? run.config().runtime.backend, { forTraining: false });
  const result = await evaluateRun(run.dir, { ...common, data: a.data, out: a.out, logitAdjust: a['logit-adjust'], unknown: a.unknown, keep: a['keep-known'] });
  writeOut(`${[formatSummary(result), ...formatConfidence(result.metrics)].join('\n')}\n`);
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: "evaluate a run's best model on its held-out split (metrics with bootstrap intervals, confusions), or compare runs",
  builder,
  handler,
};
