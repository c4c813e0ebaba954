import * as fs from 'fs';
import * as path from 'path';
import { fileSha256, inputsSha256 } from './hash';
import { GOLDEN_ROOT, MANIFEST } from './paths';
import { goldenEntry } from './registry';
import type { GoldenManifest } from './types';

export interface Golden {
  dir: string;
  file(name: string): string;
  read(name: string): Buffer;
  json<T>(name: string): T;
}

/**
 * The committed reference files of one registry entry, after checking that they were made from
 * the inputs the entry (and so the test that shares its cases) gives today, and are intact.
 */
export function loadGolden(name: string): Golden {
  const entry = goldenEntry(name);
  const dir = path.join(GOLDEN_ROOT, name);
  const manifestFile = path.join(dir, MANIFEST);
  const regenerate = `regenerate with 'npm run goldens -- ${name}' (needs Debian's python3 packages) and commit it`;
  if (!fs.existsSync(manifestFile)) throw new Error(`${manifestFile}: missing; ${regenerate}`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as GoldenManifest;
  const want = inputsSha256(entry);
  if (manifest.inputs_sha256 !== want) {
    throw new Error(`${manifestFile}: made from inputs ${manifest.inputs_sha256.slice(0, 12)}, but ${entry.script}'s inputs are now ${want.slice(0, 12)}; ${regenerate}`);
  }
  for (const [file, sha] of Object.entries(manifest.files)) {
    const p = path.join(dir, file);
    if (!fs.existsSync(p) || fileSha256(fs.readFileSync(p)) !== sha) throw new Error(`${p}: missing or changed since it was generated; ${regenerate}`);
  }
  const file = (f: string): string => {
    if (!(f in manifest.files)) throw new Error(`${dir}: no golden file '${f}'; it has ${Object.keys(manifest.files).join(', ')}`);
    return path.join(dir, f);
  };
  const read = (f: string): Buffer => fs.readFileSync(file(f));
  return { dir, file, read, json: <T>(f: string) => JSON.parse(read(f).toString('utf8')) as T };
}
