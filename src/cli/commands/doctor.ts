import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { CommandModule } from 'yargs';
import { probeBackends } from '../../runtime/backend';

export const doctorCommand: CommandModule<object, { json: boolean }> = {
  command: 'doctor',
  describe: 'report which compute backends load here and why the others do not',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    const probes = await probeBackends();
    const info = {
      node: process.version,
      tfjs: tf.version.tfjs,
      platform: `${os.platform()} ${os.arch()}`,
      // Not os.cpus(): it is widened while the threaded wasm backend starts (see prepareWasmThreads).
      cpus: os.availableParallelism(),
      memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      backends: probes.map((p) => ({ backend: p.backend, available: p.available, detail: p.detail })),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return;
    }
    const lines = [
      `node ${info.node}, tfjs ${info.tfjs}, ${info.platform}, ${info.cpus} cpu threads, ${info.memory_gb} GiB memory`,
      ...probes.map((p) => `  ${p.available ? 'ok  ' : 'no  '}${p.backend.padEnd(5)} ${p.detail}`),
    ];
    const best = probes.find((p) => p.available);
    lines.push(`auto picks: ${best?.backend ?? 'none'}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
