import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/load';
import type { BackendChoice } from '../../config/schema';
import { TimError } from '../../core/errors';
import { openRunFolder } from '../../io/run-folder';
import { train } from '../../train/train';
import { withBackend, withConfig } from '../common';

interface TrainArgs {
  config: string | undefined;
  set: string[];
  out: string | undefined;
  force: boolean;
  resume: string | undefined;
  backend: BackendChoice | undefined;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'fine-tune a model from a config (Ctrl-C saves last/; --resume continues)',
  builder: (y) => {
    // --resume reads the run's own config.yaml, so --config is only needed for a new run.
    const withShared = withBackend(withConfig(y, { required: false }));
    return withShared
      .option('out', { type: 'string', describe: 'run folder (default checkpoints/<config name>)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing run folder' })
      .option('resume', { type: 'string', describe: 'continue the run in RUN_DIR from its last/ checkpoint' })
      .check((a) => {
        if (!a.resume && !a.config) throw new TimError('train: give --config CONFIG for a new run, or --resume RUN_DIR');
        if (a.resume && (a.config || a.set.length > 0 || a.out || a.force)) {
          throw new TimError('train: --resume uses the run folder\'s own config; drop --config/--set/--out/--force');
        }
        return true;
      });
  },
  handler: async (a) => {
    const config = a.resume ? openRunFolder(a.resume).config() : loadConfig(a.config as string, a.set).config;
    const summary = await train(config, { out: a.out, force: a.force, resume: a.resume, backend: a.backend, handleSignals: true });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (summary.interrupted) process.exitCode = 130;
  },
};
