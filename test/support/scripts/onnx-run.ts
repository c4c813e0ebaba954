// Runs an ONNX file in onnxruntime-node, in a process of its own: inside jest, the typed arrays
// onnxruntime hands back belong to another realm than jest's, and its own checks refuse them.
// Arguments: model.onnx, then input.bin (raw float32) and its shape (comma-separated) per run;
// prints one JSON list of logits per run.
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';

async function main(): Promise<void> {
  const [model, ...rest] = process.argv.slice(2);
  if (!model || rest.length % 2 !== 0) throw new Error('usage: onnx-run model.onnx (input.bin shape)...');
  const session = await ort.InferenceSession.create(model);
  const outputs: number[][] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const bytes = fs.readFileSync(rest[i] as string);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const shape = (rest[i + 1] as string).split(',').map(Number);
    const out = await session.run({ input: new ort.Tensor('float32', data, shape) });
    outputs.push(Array.from(out.logits?.data as Float32Array));
  }
  await session.release();
  process.stdout.write(JSON.stringify(outputs));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
