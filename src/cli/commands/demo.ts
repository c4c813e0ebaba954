import * as fs from 'fs';
import type { CommandModule } from 'yargs';
import { TimError } from '../../core/errors';
import { log, writeOut } from '../../core/log';
import { CHECKPOINTS_DIR } from '../../io/run-folder';
import { DEFAULT_MAX_UPLOAD_BYTES, startDemo } from '../../demo/server';
import { listDemoModels } from '../../demo/models';
import type { BackendChoice } from '../../config/schema';
import { selectBackend } from '../../runtime/backend';
import { withBackend } from '../common';

interface DemoArgs {
  runs: string;
  port: number;
  host: string;
  'max-upload-mb': number;
  backend: BackendChoice | undefined;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'local web page: pick a model, drop a painting, see the top-3 artists and the Grad-CAM overlay',
  builder: (y) =>
    withBackend(y)
      .option('runs', { type: 'string', default: CHECKPOINTS_DIR, describe: 'folder of run folders; every run with a best/ model is offered' })
      .option('port', { type: 'number', default: 3000, describe: 'port (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on; the default keeps the demo on this computer' })
      .option('max-upload-mb', { type: 'number', default: DEFAULT_MAX_UPLOAD_BYTES / 2 ** 20, describe: 'largest accepted upload in MiB' }),
  handler: async (args) => {
    if (!fs.existsSync(args.runs)) throw new TimError(`runs folder ${args.runs} does not exist (train a model first, or pass --runs DIR)`);
    if (!(args['max-upload-mb'] > 0)) throw new TimError('--max-upload-mb must be positive');
    const models = listDemoModels(args.runs);
    if (models.length === 0) log.warn(`no run with a best/ model under ${args.runs} yet; the page will say so`);
    // One backend serves every run offered, so no run's runtime.backend decides it.
    await selectBackend(args.backend ?? 'auto', { forTraining: false });
    const { server, url } = await startDemo({ runs: args.runs, host: args.host, port: args.port, maxUploadBytes: Math.round(args['max-upload-mb'] * 2 ** 20) });
    if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1') log.warn(`listening on ${args.host}: other computers on the network can reach the demo`);
    log.info(`${models.length} model${models.length === 1 ? '' : 's'} from ${args.runs}; Ctrl-C stops the demo`);
    writeOut(`${url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
