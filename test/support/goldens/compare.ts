import { execFileSync } from 'child_process';
import { referencePython } from './paths';
import type { FileComparison } from './types';

function float32s(buf: Buffer, start = 0): Float32Array {
  const bytes = buf.subarray(start);
  const copy = new Uint8Array(bytes.length - (bytes.length % 4));
  copy.set(bytes.subarray(0, copy.length));
  return new Float32Array(copy.buffer);
}

/** The first value outside atol + rtol·|want|, described; null when all agree. */
function firstFloatMismatch(got: Float32Array, want: Float32Array, atol: number, rtol: number): string | null {
  if (got.length !== want.length) return `${got.length} float32 values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return `value ${i}: ${g}, committed ${w} (atol ${atol}, rtol ${rtol})`;
  }
  return null;
}

function jsonMismatch(got: unknown, want: unknown, atol: number, rtol: number, at: string): string | null {
  if (typeof want === 'number' && typeof got === 'number') {
    return Math.abs(got - want) <= atol + rtol * Math.abs(want) ? null : `${at}: ${got}, committed ${want}`;
  }
  if (Array.isArray(want) && Array.isArray(got)) {
    if (got.length !== want.length) return `${at}: ${got.length} items, committed ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const m = jsonMismatch(got[i], want[i], atol, rtol, `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (want && got && typeof want === 'object' && typeof got === 'object') {
    const keys = Object.keys(want).sort();
    if (JSON.stringify(Object.keys(got).sort()) !== JSON.stringify(keys)) return `${at}: keys ${Object.keys(got).join(',')}, committed ${keys.join(',')}`;
    for (const k of keys) {
      const m = jsonMismatch((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], atol, rtol, `${at}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return got === want ? null : `${at}: ${JSON.stringify(got)}, committed ${JSON.stringify(want)}`;
}

const TORCH_EQUAL = `
import sys, torch
a, b = torch.load(sys.argv[1]), torch.load(sys.argv[2])
same = a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in a)
sys.exit(0 if same else 1)
`;

/** Why a regenerated file differs from the committed one, or null when it does not. */
export function fileMismatch(how: FileComparison, got: { data: Buffer; path: string }, want: { data: Buffer; path: string }): string | null {
  switch (how.kind) {
    case 'exact':
      return got.data.equals(want.data) ? null : `bytes differ (${got.data.length} regenerated, ${want.data.length} committed)`;
    case 'float32':
      return firstFloatMismatch(float32s(got.data), float32s(want.data), how.atol, 0);
    case 'safetensors': {
      const headerEnd = (b: Buffer): number => 8 + Number(b.readBigUInt64LE(0));
      const g = headerEnd(got.data), w = headerEnd(want.data);
      if (!got.data.subarray(0, g).equals(want.data.subarray(0, w))) return 'the safetensors headers (names, dtypes, shapes, offsets) differ';
      return firstFloatMismatch(float32s(got.data, g), float32s(want.data, w), how.atol, how.rtol);
    }
    case 'json':
      return jsonMismatch(JSON.parse(got.data.toString('utf8')), JSON.parse(want.data.toString('utf8')), how.atol, how.rtol, '$');
    case 'torch-load':
      try {
        execFileSync(referencePython(), ['-c', TORCH_EQUAL, got.path, want.path], { stdio: 'pipe' });
        return null;
      } catch {
        return 'torch.load gives different tensors';
      }
  }
}
