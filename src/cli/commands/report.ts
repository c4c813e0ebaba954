import { writeOut } from '../../core/log';
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { TimError } from '../../core/errors';
import { checkFileTarget } from '../../io/atomic';

interface ReportArgs {
  runs?: string[];
  sweep?: string;
  'lr-find'?: string[];
  out?: string;
  data?: string;
  title?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'self-contained HTML reports from run folders or a sweep folder (open offline)',
  builder: (y) =>
    y
      .option('runs', { type: 'string', array: true, describe: 'run folders to report on (training results)' })
      .option('sweep', { type: 'string', describe: 'a sweep folder (experiments report)' })
      .option('lr-find', { type: 'string', array: true, describe: "folders of tim lr-find (default lr-find/<config name>): their curves, suggestions and group rates, beside --runs or alone" })
      .option('out', { type: 'string', describe: 'HTML file (default reports/training_results.html, reports/lr_find.html with --lr-find alone, or reports/experiments_<name>.html)' })
      .option('data', { type: 'string', describe: "image folder for the data-set overview (default: each run's split.json root)" })
      .option('title', { type: 'string', describe: 'page title of the training report' })
      .example('$0 report --runs checkpoints/convnext_tiny_finetuned checkpoints/resnet50_finetuned', 'compare two runs')
      .example('$0 report --runs checkpoints/quickstart --lr-find lr-find/quickstart', 'a run beside the LR finder of its config')
      .example('$0 report --sweep checkpoints/sweeps/padding_batch', 'report on a sweep'),
  handler: async (args) => {
    const runs = args.runs ?? [];
    const lrFinds = args['lr-find'] ?? [];
    if (args.sweep !== undefined && lrFinds.length > 0) throw new TimError('--lr-find goes with --runs DIR... or alone, not with --sweep');
    if ((runs.length > 0 || lrFinds.length > 0) === (args.sweep !== undefined)) throw new TimError('give either --runs DIR... (and/or --lr-find DIR...) or --sweep DIR');
    if (args.out !== undefined) checkFileTarget(args.out);
    // The notebooks live outside src/ and bundle a browser script; load them only when asked.
    let file: string;
    if (args.sweep !== undefined) {
      const { buildSweepReport } = require('../../../notebooks-ts/experiments') as typeof import('../../../notebooks-ts/experiments');
      file = await buildSweepReport({ sweep: args.sweep, out: args.out, dataRoot: args.data });
    } else {
      const { buildTrainingReport, DEFAULT_LR_FIND_REPORT, DEFAULT_TRAINING_REPORT } = require('../../../notebooks-ts/training-results') as typeof import('../../../notebooks-ts/training-results');
      const out = args.out ?? (runs.length > 0 ? DEFAULT_TRAINING_REPORT : DEFAULT_LR_FIND_REPORT);
      file = await buildTrainingReport({ runs, lrFinds, out, dataRoot: args.data, title: args.title });
    }
    const rel = path.relative(process.cwd(), file);
    writeOut(`${rel.startsWith('..') || path.isAbsolute(rel) ? file : rel}\n`);
  },
};
