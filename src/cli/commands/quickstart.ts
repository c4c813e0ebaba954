import * as fs from 'fs';
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load';
import type { BackendChoice } from '../../config/schema';
import { log, writeOut } from '../../core/log';
import { synthesizeDataset } from '../../data';
import { evaluateRun, formatSummary } from '../../evaluate';
import { formatConfidence } from '../../evaluate/confidence-text';
import { CHECKPOINTS_DIR } from '../../io/run-folder';
import { train } from '../../train';
import { withBackend } from '../common';

interface QuickstartArgs {
  data?: string;
  out: string;
  set: string[];
  backend: BackendChoice | undefined;
}

function builder(y: Argv): Argv<QuickstartArgs> {
  return withBackend(y)
    .option('data', {
      type: 'string',
      describe: 'image folder to train on (default: the built-in synthetic artists, generated on first use)',
    })
    .option('out', { type: 'string', default: path.join(CHECKPOINTS_DIR, 'quickstart'), describe: 'run folder (replaced on every quick start)' })
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a key of configs/quickstart.yaml, e.g. --set train.epochs=3' });
}

/** Synthesise the sample data when needed, train the quick-start config, evaluate it. */
async function handler(a: QuickstartArgs): Promise<void> {
  const sets = a.data ? [...a.set, `data.root=${a.data}`] : a.set;
  const { config } = loadConfig('quickstart.yaml', sets);
  const root = config.data.root;
  if (!a.data && !fs.existsSync(root)) {
    log.info(`generating the synthetic-artists sample data in ${root}`);
    await synthesizeDataset(root, { seed: config.seed });
  }
  const summary = await train(config, { out: a.out, force: true, backend: a.backend, handleSignals: true });
  log.info(`trained ${config.model.arch} in ${a.out} (best ${summary.monitor} ${summary.best_value.toFixed(3)} at epoch ${summary.best_epoch})`);
  const result = await evaluateRun(a.out, { progress: true });
  // The ECE before and after temperature scaling are among the confidence lines.
  writeOut(`${[formatSummary(result), ...formatConfidence(result.metrics)].join('\n')}\n`);
  log.info(`next: npm run explain -- --run ${a.out} --image <painting> --out cam.png`);
}

export const quickstartCommand: CommandModule<object, QuickstartArgs> = {
  command: 'quickstart',
  describe: 'train and evaluate the small CNN on the built-in sample data (a few minutes on 2 CPU cores)',
  builder,
  handler,
};
