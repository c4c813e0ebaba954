import * as fs from 'fs';
import * as path from 'path';

function tempSibling(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${Date.now().toString(36)}`);
}

/** Writes a file under a temporary name and renames it, so readers never see half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempSibling(file, 'tmp');
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Fills a folder through `fill(tmpDir)` and then swaps it in place of `dir`. An interruption
 * leaves either the old folder or the new one, never a mixture.
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = tempSibling(dir, 'tmp');
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (fs.existsSync(dir)) {
    const old = tempSibling(dir, 'old');
    fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, dir);
  }
}
