// Run in a child process: saves a tiny_cnn (seeded by argv[3]) as the model folder argv[2],
// the way training saves best/, so a test can kill it at each step of the save.
import { createModel, saveTimModel } from '../../../src/models';

async function main(): Promise<void> {
  const [dir, seed] = process.argv.slice(2);
  const tm = createModel('tiny_cnn', { numClasses: 2, inputSize: 16, seed: Number(seed) });
  await saveTimModel(tm, dir as string, { extraFiles: { 'epoch.json': `${JSON.stringify({ seed: Number(seed) })}\n` } });
  tm.model.dispose();
}

void main();
