/** How a regenerated golden file is compared with the committed one in the refs suite. */
export type FileComparison =
  | { kind: 'exact' }
  /** little-endian float32 tensors of a .safetensors file: same header, values within atol + rtol·|want|. */
  | { kind: 'safetensors'; atol: number; rtol: number }
  /** raw little-endian float32 values within atol. */
  | { kind: 'float32'; atol: number }
  /** JSON of the same shape whose numbers agree within atol + rtol·|want|. */
  | { kind: 'json'; atol: number; rtol: number }
  /** a torch.save file in the legacy format, whose storage keys are memory addresses: equal once loaded by torch. */
  | { kind: 'torch-load' };

/**
 * One reference output: the files a script in `scripts/` writes from seeded inputs, committed under
 * `test/fixtures/golden/<name>/` with a `golden.json` manifest holding the hash of those inputs.
 */
export interface GoldenEntry {
  /** the folder under test/fixtures/golden/ */
  name: string;
  /** the generator, relative to the repository root; run by Debian's Python */
  script: string;
  /** what the files are the reference for */
  about: string;
  /** the input files the generator reads, by name; made from fixed seeds */
  inputs: () => Record<string, Buffer>;
  /** one argument list per run of the script; `{in}` and `{out}` stand for the input and output folders */
  runs: () => string[][];
  /** how the refs suite compares each output file (exact bytes when not listed), with the reason */
  compare?: Record<string, FileComparison>;
}

export interface GoldenManifest {
  generator: string;
  about: string;
  inputs_sha256: string;
  files: Record<string, string>;
}
