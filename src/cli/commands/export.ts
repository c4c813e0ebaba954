import * as path from 'path';
import type { CommandModule } from 'yargs';
import { log } from '../../core/log';
import { TimError } from '../../core/errors';
import { exportOnnx } from '../../export/onnx';
import { exportWeb, QUANTIZATIONS, type Quantization } from '../../export/web';
import { disposeRun, loadRunForInference } from '../../inference/inference-run';
import { checkOutputFile, checkOutputFolder, WEB_EXPORT_RULE } from '../../io/output-folder';
import { latestRun, openRunFolder } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';

const FORMATS = ['onnx', 'web'] as const;
type ExportFormat = (typeof FORMATS)[number];

interface ExportArgs {
  run?: string;
  format: ExportFormat;
  out?: string;
  quantize?: Quantization;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "write a run's best model for other runtimes: an ONNX graph, or a static web page that classifies and explains in the browser",
  builder: (y) =>
    y
      .option('run', { type: 'string', describe: 'run folder (default: the latest run under checkpoints/)' })
      .option('format', { choices: FORMATS, default: FORMATS[0], describe: 'onnx: an ONNX file (opset 17); web: a static folder (index.html, app.js, model.json + shards, metadata.json)' })
      .option('out', { type: 'string', describe: 'file (onnx) or folder (web) to write (default: <run>/export/model.onnx or <run>/export/web)' })
      .option('quantize', { choices: QUANTIZATIONS, describe: 'web: store the weights as float16 or uint8 (tfjs dequantises them on load)' })
      .check((a) => {
        if (a.quantize !== undefined && a.format !== 'web') throw new TimError(`--quantize applies to --format web, not ${a.format}`);
        return true;
      }),
  handler: async (a) => {
    const folder = a.run ? openRunFolder(a.run) : latestRun();
    if (!a.run) log.info(`exporting the latest run: ${folder.dir}`);
    const out = a.out ?? (a.format === 'web' ? path.join(folder.dir, 'export', 'web') : path.join(folder.dir, 'export', 'model.onnx'));
    // Refused before the model is loaded: an export never replaces what it did not write.
    if (a.format === 'web') checkOutputFolder(out, 'web export', WEB_EXPORT_RULE);
    else checkOutputFile(out, '.onnx');
    // Weights are read once; the plain cpu backend needs nothing native.
    await selectBackend('cpu', { forTraining: false });
    const run = await loadRunForInference(folder.dir);
    try {
      if (a.format === 'web') {
        const r = await exportWeb(run, out, a.quantize);
        log.info(`wrote ${out}: serve it with any static server (e.g. python3 -m http.server in it) and open index.html`);
        process.stdout.write(`${JSON.stringify({ format: a.format, arch: run.tm.spec.name, classes: run.labels.length, ...r })}\n`);
        return;
      }
      const bytes = await exportOnnx(run, out);
      log.info(`wrote ${out} (${(bytes / 1024 / 1024).toFixed(1)} MiB)`);
      process.stdout.write(`${JSON.stringify({ format: a.format, out, bytes, arch: run.tm.spec.name, classes: run.labels.length })}\n`);
    } finally {
      disposeRun(run);
    }
  },
};
