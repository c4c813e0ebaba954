import type { CommandModule } from 'yargs';
import { writeFileAtomic } from '../../io/atomic';
import { log, writeOut, writeJson } from '../../core/log';
import { TimError } from '../../core/errors';
import { archNames } from '../../models';
import { formatModelSummary, summarizeArch, summarySvg } from '../../models/summary';

interface SummaryArgs {
  arch: string;
  svg: string | undefined;
  'input-size': number;
  json: boolean;
}

const summaryCommand: CommandModule<object, SummaryArgs> = {
  command: 'summary <arch>',
  describe: 'depth-1 structure (block, output shape, parameters) for a 1×3×224×224 input',
  builder: (y) =>
    y
      .positional('arch', { type: 'string', demandOption: true, describe: `architecture: ${archNames().join(', ')}` })
      .option('svg', { type: 'string', describe: 'also write the structure as an SVG diagram to this file' })
      .option('input-size', { type: 'number', default: 224, describe: 'square input size in pixels' })
      .option('json', { type: 'boolean', default: false, describe: 'print as JSON' })
      .check((a) => {
        if (!Number.isInteger(a['input-size']) || a['input-size'] < 32) throw new TimError(`--input-size: expected a whole number of at least 32, got ${a['input-size']}`);
        return true;
      }),
  handler: (a) => {
    const summary = summarizeArch(a.arch, a['input-size']);
    if (a.json) writeJson(summary, 2);
    else writeOut(`${formatModelSummary(summary)}\n`);
    if (a.svg !== undefined) {
      writeFileAtomic(a.svg, summarySvg(summary));
      log.info(`wrote ${a.svg}`);
    }
  },
};

export const modelCommand: CommandModule = {
  command: 'model <command>',
  describe: 'model structure summaries',
  builder: (y) => y.command(summaryCommand as CommandModule).demandCommand(1, 'name a model command: summary'),
  handler: () => undefined,
};
