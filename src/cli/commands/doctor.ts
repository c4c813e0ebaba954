import { writeOut, writeJson } from '../../core/log';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { CommandModule } from 'yargs';
import { type BackendProbe, probeBackends, pickAuto } from '../../runtime/backend';
import { checkCuda } from '../../runtime/cuda-doctor';
import { checkLines } from '../../runtime/doctor-check';
import { checkWebGpu } from '../../runtime/webgpu/doctor';

export const doctorCommand: CommandModule<object, { json: boolean }> = {
  command: 'doctor',
  describe: 'report which compute backends load here, why the others do not, and what each GPU route lacks',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    // Before probing: loading tfjs-node-gpu sets TF_FORCE_GPU_ALLOW_GROWTH, and the CUDA checks report the user's own.
    const cuda = checkCuda();
    const webgpu = await checkWebGpu();
    const probes = await probeBackends();
    const probe = (b: BackendProbe['backend']): BackendProbe => probes.find((p) => p.backend === b) as BackendProbe;
    const auto = pickAuto(probe, true);
    const info = {
      node: process.version,
      tfjs: tf.version.tfjs,
      platform: `${os.platform()} ${os.arch()}`,
      // Not os.cpus(): it is widened while the threaded wasm backend starts (see prepareWasmThreads).
      cpus: os.availableParallelism(),
      memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      backends: probes.map((p) => ({ backend: p.backend, available: p.available, detail: p.detail, ...(p.software !== undefined ? { software: p.software } : {}) })),
      auto: { backend: auto.backend, reason: auto.reason },
      webgpu,
      cuda,
    };
    if (args.json) {
      writeJson(info, 2);
      return;
    }
    const lines = [
      `node ${info.node}, tfjs ${info.tfjs}, ${info.platform}, ${info.cpus} cpu threads, ${info.memory_gb} GiB memory`,
      ...probes.map((p) => `  ${p.available ? 'ok  ' : 'no  '}${p.backend.padEnd(6)} ${p.detail}`),
      `auto picks: ${auto.backend} (${auto.reason})`,
      'WebGPU route (--backend webgpu):',
      ...checkLines(webgpu.checks),
      `  => ${webgpu.verdict}`,
      'CUDA route (--backend gpu, tfjs-node-gpu 4.22):',
      ...checkLines(cuda.checks),
      `  => ${cuda.verdict}`,
    ];
    writeOut(`${lines.join('\n')}\n`);
  },
};
