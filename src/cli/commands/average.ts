import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { averageRuns } from '../../average/runs';
import type { BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { openRunFolder, CHECKPOINTS_DIR } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';
import { withBackend } from '../common';

interface AverageArgs {
  runs: string[];
  'top-k'?: number;
  out?: string;
  force: boolean;
  backend: BackendChoice | undefined;
}

function builder(y: Argv): Argv<AverageArgs> {
  return withBackend(y)
    .option('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders of one architecture, classes and split whose best/ weights are averaged' })
    .option('top-k', { type: 'number', describe: 'average only the K runs whose best/ had the highest validation accuracy' })
    .option('out', { type: 'string', describe: `the new run folder (default ${CHECKPOINTS_DIR}/<first run's name>_average)` })
    .option('force', { type: 'boolean', default: false, describe: 'replace an existing run folder at --out' })
    .check((a) => {
      if (a.runs.length < 2) throw new TimError(`--runs: name at least two run folders to average, got ${a.runs.length}`);
      return true;
    });
}

async function handler(a: AverageArgs): Promise<void> {
  const firstDir = a.runs[0] as string;
  const out = a.out ?? path.join(CHECKPOINTS_DIR, `${path.basename(path.resolve(firstDir))}_average`);
  await selectBackend(a.backend ?? openRunFolder(firstDir).config().runtime.backend, { forTraining: false });
  const record = await averageRuns({ runs: a.runs, topK: a['top-k'], out, force: a.force });
  const used = record.sources.filter((s) => s.averaged);
  process.stdout.write(`averaged ${used.length} runs (BatchNorm statistics averaged) into ${out}:\n`);
  for (const s of record.sources) {
    const acc = s.val_acc === null ? 'val_acc –' : `val_acc ${s.val_acc.toFixed(4)}`;
    process.stdout.write(`  ${s.averaged ? '+' : '-'} ${s.run} (${acc}${s.best_epoch === null ? '' : ` at epoch ${s.best_epoch}`})\n`);
  }
  process.stdout.write(`evaluate it with: tim evaluate --run ${out}\n`);
}

export const averageCommand: CommandModule<object, AverageArgs> = {
  command: 'average',
  describe: 'average the best/ weights of several runs of one architecture into a new run folder',
  builder,
  handler,
};
