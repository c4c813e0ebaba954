import * as path from 'path';
import type { CommandModule } from 'yargs';
import { log } from '../../core/log';
import { exportOnnx } from '../../export/onnx';
import { disposeRun, loadRunForInference } from '../../inference/run';
import { latestRun, openRunFolder } from '../../io/run-folder';
import { selectBackend } from '../../runtime/backend';

const FORMATS = ['onnx'] as const;
type ExportFormat = (typeof FORMATS)[number];

interface ExportArgs {
  run?: string;
  format: ExportFormat;
  out?: string;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "write a run's best model for other runtimes: an ONNX graph",
  builder: (y) =>
    y
      .option('run', { type: 'string', describe: 'run folder (default: the latest run under checkpoints/)' })
      .option('format', { choices: FORMATS, default: FORMATS[0], describe: 'onnx: an ONNX file (opset 17) for onnxruntime and friends' })
      .option('out', { type: 'string', describe: 'file to write (default: <run>/export/model.onnx)' }),
  handler: async (a) => {
    const folder = a.run ? openRunFolder(a.run) : latestRun();
    if (!a.run) log.info(`exporting the latest run: ${folder.dir}`);
    // Weights are read once; the plain cpu backend needs nothing native.
    await selectBackend('cpu', { forTraining: false });
    const run = await loadRunForInference(folder.dir);
    try {
      const out = a.out ?? path.join(folder.dir, 'export', 'model.onnx');
      const bytes = await exportOnnx(run, out);
      log.info(`wrote ${out} (${(bytes / 1024 / 1024).toFixed(1)} MiB)`);
      process.stdout.write(`${JSON.stringify({ format: a.format, out, bytes, arch: run.tm.spec.name, classes: run.labels.length })}\n`);
    } finally {
      disposeRun(run);
    }
  },
};
