import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileSha256, inputsSha256 } from './hash';
import { MANIFEST, REPO_ROOT, referencePython } from './paths';
import type { GoldenEntry, GoldenManifest } from './types';

/**
 * Runs an entry's generator on its seeded inputs and writes the output files and their manifest
 * into `outDir` (replaced as a whole, so a failed run leaves the previous golden as it was).
 */
export function generateGolden(entry: GoldenEntry, outDir: string): GoldenManifest {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tim-golden-${entry.name}-`));
  try {
    const inDir = path.join(work, 'in');
    const out = path.join(work, 'out');
    fs.mkdirSync(inDir);
    fs.mkdirSync(out);
    for (const [name, data] of Object.entries(entry.inputs())) fs.writeFileSync(path.join(inDir, name), data);
    const script = path.join(REPO_ROOT, entry.script);
    for (const args of entry.runs()) {
      const argv = args.map((a) => a.replaceAll('{in}', inDir).replaceAll('{out}', out));
      try {
        execFileSync(referencePython(), [script, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      } catch (e) {
        const err = e as { stderr?: Buffer; message: string };
        throw new Error(`${entry.script} ${args.join(' ')} failed with ${referencePython()}: ${err.stderr?.toString().trim() || err.message}`, { cause: e });
      }
    }
    const files: Record<string, string> = {};
    for (const name of fs.readdirSync(out).sort()) files[name] = fileSha256(fs.readFileSync(path.join(out, name)));
    const manifest: GoldenManifest = { generator: entry.script, about: entry.about, inputs_sha256: inputsSha256(entry), files };
    fs.writeFileSync(path.join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(outDir), { recursive: true });
    fs.cpSync(out, outDir, { recursive: true });
    return manifest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
