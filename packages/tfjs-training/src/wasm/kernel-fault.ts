import { oneLine, TrainingError } from '../errors';

/** The wasm heap's cap (32-bit addresses), and where it counts as exhausted: within 256 MiB of it. */
export const HEAP_CAP_MB = 4096;
export const HEAP_FULL_MB = HEAP_CAP_MB - 256;

/** What only an exhausted heap says. */
const EXHAUSTED = [/Cannot enlarge memory/i, /Aborted\(OOM\)/i, /Could not allocate/i, /\bout of memory\b/i, /WebAssembly\.Memory\.grow/i, /Array buffer allocation failed/i];
/** Traps and aborts of compiled code: a full heap ends in them, and so does a kernel's own fault. */
const TRAPS = [/memory access out of bounds/i, /^Aborted\(/, /\bunreachable\b/i, /RuntimeError/];

/**
 * Tells an exhausted heap from a fault in a kernel. A trap with the heap near its cap is taken as
 * the heap running out; the same trap with room left is the kernel's fault (a bad index, a broken
 * build), which a smaller micro-batch would not cure.
 */
export function classifyWasmFailure(err: unknown, heapMb: number | undefined): 'out-of-memory' | 'kernel-fault' | 'other' {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const message = err instanceof Error ? err.message : String(err);
  if (EXHAUSTED.some((p) => p.test(text))) return 'out-of-memory';
  if (!TRAPS.some((p) => p.test(text) || p.test(message))) return 'other';
  return heapMb !== undefined && heapMb >= HEAP_FULL_MB ? 'out-of-memory' : 'kernel-fault';
}

/** A wasm kernel that trapped or aborted with room left on the heap. */
export class KernelFaultError extends TrainingError {
  constructor(kernel: string | undefined, cause: unknown, heapMb: number | undefined) {
    const heap = heapMb === undefined ? 'the heap size unknown' : `the heap at ${heapMb} MiB of its ${HEAP_CAP_MB} MiB cap`;
    super(
      `${kernel ? `wasm kernel '${kernel}'` : 'a wasm kernel'} faulted (${oneLine(cause)}) with ${heap}: ` +
        `a fault in the kernel, not an exhausted heap, so a smaller train.micro_batch will not help; rerun with --backend cpu, and report it`,
    );
    this.name = 'KernelFaultError';
  }
}
