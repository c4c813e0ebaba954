import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../../core/errors';
import { readTfjsWeights } from './keras-tfjs';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import type { StateDict } from './tensor';
import { readTorchFile } from './torch-file';
import { isZip } from './zip';

export type WeightFormat = 'pytorch' | 'safetensors' | 'tfjs';

/** The tfjs model.json a path names: the file itself, or the one inside a folder. */
export function tfjsJsonOf(file: string): string | undefined {
  if (file.endsWith('.json')) return file;
  if (fs.existsSync(file) && fs.statSync(file).isDirectory() && fs.existsSync(path.join(file, 'model.json'))) return path.join(file, 'model.json');
  return undefined;
}

/** Reads any weight file Tim imports, telling the format by its content rather than its name. */
export function readWeightFile(file: string): { format: WeightFormat; tensors: StateDict } {
  if (!fs.existsSync(file)) throw new TimError(`${file}: weight file not found`);
  const json = tfjsJsonOf(file);
  if (json !== undefined) return { format: 'tfjs', tensors: readTfjsWeights(json) };
  if (fs.statSync(file).isDirectory()) throw new TimError(`${file}: a folder without model.json; expected a .pth/.pt, .safetensors or model.json weight file`);
  const buf = fs.readFileSync(file);
  if (isZip(buf) || /\.(pth|pt|bin|ckpt)$/i.test(file)) return { format: 'pytorch', tensors: readTorchFile(buf, file) };
  if (looksLikeSafetensors(buf) || file.endsWith('.safetensors')) return { format: 'safetensors', tensors: readSafetensors(buf, file) };
  throw new TimError(`${file}: not a weight file Tim reads (a torch.save .pth/.pt zip, .safetensors, or a tfjs model.json)`);
}
