import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from './tmp';

const SCRIPT = path.join(__dirname, 'scripts', 'onnx-run.ts');

export interface OnnxInput {
  data: Float32Array;
  shape: number[];
}

/** The logits onnxruntime-node computes for each input, run in a child process. */
export async function onnxLogits(model: string | Uint8Array, inputs: OnnxInput[]): Promise<Float32Array[]> {
  const t = tmpDir('tim-onnx-');
  try {
    const modelFile = typeof model === 'string' ? model : path.join(t.dir, 'model.onnx');
    if (typeof model !== 'string') fs.writeFileSync(modelFile, model);
    const args = inputs.flatMap((input, i) => {
      const file = path.join(t.dir, `input${i}.bin`);
      fs.writeFileSync(file, Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength));
      return [file, input.shape.join(',')];
    });
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-r', 'tsx/cjs', SCRIPT, modelFile, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, out, stderr) =>
        err ? reject(new Error(`onnxruntime: ${stderr.trim() || err.message}`)) : resolve(out),
      );
    });
    return (JSON.parse(stdout) as number[][]).map((l) => Float32Array.from(l));
  } finally {
    t.cleanup();
  }
}
