import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load';
import type { BackendChoice } from '../../config/schema';
import { defaultLrFindOut, formatLrFind, LR_FIND_DEFAULTS, lrFind } from '../../lr-find/lr-find';
import { withBackend, withConfig } from '../common';

interface LrFindArgs {
  config: string;
  set: string[];
  steps: number;
  'start-lr': number;
  'end-lr': number;
  out?: string;
  force: boolean;
  backend: BackendChoice | undefined;
}

function builder(y: Argv): Argv<LrFindArgs> {
  return withBackend(withConfig(y))
    .option('steps', { type: 'number', default: LR_FIND_DEFAULTS.steps, describe: 'most steps of the sweep (it stops sooner when the loss diverges)' })
    .option('start-lr', { type: 'number', default: LR_FIND_DEFAULTS.startLr, describe: "the head's learning rate at the first step" })
    .option('end-lr', { type: 'number', default: LR_FIND_DEFAULTS.endLr, describe: "the head's learning rate the sweep rises towards" })
    .option('out', { type: 'string', describe: 'folder for lr-find.json and lr-find.png (default lr-find/<config name>; never a run folder)' })
    .option('force', { type: 'boolean', default: false, describe: 'replace an earlier lr-find at --out' });
}

async function handler(a: LrFindArgs): Promise<void> {
  const { config } = loadConfig(a.config, a.set);
  const out = a.out ?? defaultLrFindOut(config);
  const result = await lrFind(config, { out, force: a.force, steps: a.steps, startLr: a['start-lr'], endLr: a['end-lr'], backend: a.backend });
  process.stdout.write(`${formatLrFind(result, out)}\n`);
}

export const lrFindCommand: CommandModule<object, LrFindArgs> = {
  command: 'lr-find',
  describe: "sweep the learning rate over a copy of the config's starting model and suggest rates (fastai's steepest and valley)",
  builder,
  handler,
};
