import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { oneLine, TimError } from '../core/errors';
import { log } from '../core/log';
import { defaultCacheDir } from './cache-dir';
import { decodeConcurrency, mapConcurrent } from './concurrency';
import { readFileRecord, unchangedSince, writeFileRecord } from './file-record';
import { IMAGE_FORMATS, readHead, sniffFormat } from './formats';
import { decodeReason, openImage, orientedSize, reasonLost } from './preprocess';
import type { DatasetIndex, DatasetItem, SkippedFile } from './types';

/** A file under a class folder, as found on disk. */
export interface FoundFile {
  /** Relative to the data root, with `/` separators. */
  path: string;
  label: number;
  size: number;
  mtimeMs: number;
}

/** What decoding a file found out: its format and oriented size, or why it is unusable. */
export const fileCheckSchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  format: z.enum(IMAGE_FORMATS).optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  error: z.string().optional(),
});
export type FileCheck = z.infer<typeof fileCheckSchema>;

export interface IndexOptions {
  /** Fully decode each file to catch truncation (default true). */
  verify?: boolean;
  /** Where the record of already-checked files is kept (default: `defaultCacheDir(root)`). */
  cacheDir?: string;
  /** Warn about each skipped file (default true). */
  warn?: boolean;
}

export interface DetailedIndex extends DatasetIndex {
  /** Format and size of every usable item, by path. */
  details: Map<string, FileCheck>;
}

const CHECKS_FILE = 'checked-files.json';
const CHECKS_VERSION = 1;

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Class folders (sorted by name) and every non-hidden file below each of them. Links to files
 * are followed; a folder is walked once per real path, and never one holding the root (a link
 * to an ancestor would relabel every class). A class folder that is a link to another class's
 * folder (or into it) is refused, naming the link. A file reached under two classes counts once,
 * in the class where it is itself (not a link), and the links to it are left out; reached only
 * through links, it is left out of all of them, so no image carries two labels. `ignored` says
 * what was left out and why.
 */
export function listDataset(root: string): { classes: string[]; files: FoundFile[]; ignored: SkippedFile[] } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new TimError(`data root '${root}' does not exist`);
  }
  if (!stat.isDirectory()) throw new TimError(`data root '${root}' is not a folder`);
  const realRoot = fs.realpathSync(root);
  const classes = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => !isHidden(d.name) && (d.isDirectory() || (d.isSymbolicLink() && isDir(path.join(root, d.name)))))
    .map((d) => d.name)
    .sort(byName);
  refuseSharedClassFolders(root, classes);
  const found: FoundFile[] = [];
  const ignored: SkippedFile[] = [];
  const viaLink = new Set<FoundFile>();
  const walked = new Set<string>([realRoot]);
  const labelsOf = new Map<string, Set<number>>();
  const realOf = new Map<FoundFile, string>();
  const enter = (rel: string): boolean => {
    let real: string;
    try {
      real = fs.realpathSync(path.join(root, rel));
    } catch (e) {
      ignored.push({ path: rel, reason: `unreadable folder (${oneLine(e)})` });
      return false;
    }
    if (realRoot === real || realRoot.startsWith(`${real}${path.sep}`)) {
      ignored.push({ path: rel, reason: 'a link to a folder holding the data root; not followed' });
      return false;
    }
    if (walked.has(real)) {
      ignored.push({ path: rel, reason: `the same folder as one already read (${real}); not read twice` });
      return false;
    }
    walked.add(real);
    return true;
  };
  classes.forEach((cls, label) => {
    const walk = (rel: string): void => {
      if (!enter(rel)) return;
      const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => byName(a.name, b.name));
      for (const e of entries) {
        if (isHidden(e.name)) continue;
        const childRel = `${rel}/${e.name}`;
        const full = path.join(root, childRel);
        let st: fs.Stats;
        try {
          st = fs.statSync(full);
        } catch {
          found.push({ path: childRel, label, size: -1, mtimeMs: 0 });
          continue;
        }
        if (st.isDirectory()) walk(childRel);
        else if (st.isFile()) {
          const f: FoundFile = { path: childRel, label, size: st.size, mtimeMs: st.mtimeMs };
          const real = fs.realpathSync(full);
          const labels = labelsOf.get(real) ?? new Set<number>();
          if (labels.has(label)) {
            ignored.push({ path: childRel, reason: `the same file as another of class '${cls}' (${real}); counted once` });
            continue;
          }
          labels.add(label);
          labelsOf.set(real, labels);
          realOf.set(f, real);
          if (e.isSymbolicLink()) viaLink.add(f);
          found.push(f);
        }
      }
    };
    walk(cls);
  });
  // Where a file shared between classes is itself (not a link), if in exactly one of them.
  const ownerOf = new Map<string, FoundFile | undefined>();
  for (const f of found) {
    const real = realOf.get(f);
    if (real === undefined || viaLink.has(f)) continue;
    ownerOf.set(real, ownerOf.has(real) ? undefined : f);
  }
  const files = found.filter((f) => {
    const real = realOf.get(f);
    const labels = real === undefined ? undefined : labelsOf.get(real);
    if (real === undefined || !labels || labels.size < 2) return true;
    const owner = ownerOf.get(real);
    if (owner === f) return true;
    if (owner) {
      ignored.push({ path: f.path, reason: `a link to ${owner.path} of class '${classes[owner.label] ?? owner.label}'; that image counts once, in its own class` });
      return false;
    }
    const names = [...labels].map((l) => `'${classes[l] ?? l}'`).join(' and ');
    ignored.push({ path: f.path, reason: `the same file (${real}) is under classes ${names}; left out of all of them` });
    return false;
  });
  return { classes, files, ignored };
}

/** Refuses a class folder that is a link to another class's folder, or to a folder inside or around it. */
function refuseSharedClassFolders(root: string, classes: readonly string[]): void {
  const reals = classes.map((c) => {
    try {
      return fs.realpathSync(path.join(root, c));
    } catch {
      return undefined;
    }
  });
  const within = (a: string, b: string): boolean => a === b || a.startsWith(`${b}${path.sep}`) || b.startsWith(`${a}${path.sep}`);
  classes.forEach((cls, i) => {
    const real = reals[i];
    if (real === undefined) return;
    const j = reals.findIndex((other, k) => k !== i && other !== undefined && within(real, other));
    if (j < 0) return;
    const other = classes[j] ?? '';
    // Name the link: this folder if it is one, else the other.
    const link = fs.lstatSync(path.join(root, cls)).isSymbolicLink() ? cls : other;
    const target = link === cls ? other : cls;
    throw new TimError(
      `${path.join(root, link)}: a link to the class folder '${target}' (${fs.realpathSync(path.join(root, link))}); ` +
        `two classes cannot share images: expected a folder with the images of class '${link}' (remove the link, or copy the images)`,
    );
  });
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Checks one file: readable, an image by content, and (when `verify`) decodable to the end. */
export async function checkFile(file: string, found: { size: number; mtimeMs: number }, verify: boolean): Promise<FileCheck> {
  const base = { size: found.size, mtimeMs: found.mtimeMs };
  if (found.size < 0) return { ...base, error: 'unreadable' };
  if (found.size === 0) return { ...base, error: 'zero bytes' };
  let head: Uint8Array;
  try {
    head = readHead(file);
  } catch (e) {
    return { ...base, error: `unreadable (${oneLine(e)})` };
  }
  const format = sniffFormat(head);
  if (!format) return { ...base, error: 'not an image' };
  try {
    const { width, height } = await orientedSize(file);
    if (verify) {
      // A small decode reads the whole entropy-coded stream (JPEG shrink-on-load keeps it cheap)
      // and so catches truncated and corrupt files that the header alone does not reveal.
      await openImage(file).resize(16, 16, { fit: 'fill' }).raw().toBuffer();
    }
    return { ...base, format, width, height };
  } catch (e) {
    const msg = decodeReason(oneLine(e));
    const truncated = /premature|truncat|end of (file|data)|EOF|unexpected end|read error|short/i.test(msg);
    return { ...base, format, error: `${truncated ? 'truncated or corrupt' : 'cannot decode'} ${format} (${msg})` };
  }
}


/**
 * Indexes an image folder with one sub-folder per class. Files are recognised by content;
 * broken ones are skipped with one warning each and listed in `skipped`. Checked files are
 * remembered by path, size and modification time so that a second run decodes nothing.
 */
export async function indexDatasetDetailed(root: string, opts: IndexOptions = {}): Promise<DetailedIndex> {
  const verify = opts.verify ?? true;
  const { classes, files, ignored } = listDataset(root);
  if (opts.warn ?? true) for (const f of ignored) log.warn(`ignoring ${path.join(root, f.path)}: ${f.reason}`);
  if (classes.length < 2) {
    throw new TimError(`data root '${root}' must hold one sub-folder per class and at least two classes (found ${classes.length})`);
  }
  const checksPath = path.join(opts.cacheDir ?? defaultCacheDir(root), CHECKS_FILE);
  const known = verify ? readFileRecord(checksPath, CHECKS_VERSION, fileCheckSchema, 'checking every image again') : {};
  let changed = false;
  const checks = await mapConcurrent(files, decodeConcurrency(), async (f) => {
    const prior = known[f.path];
    if (unchangedSince(prior, f) && f.size > 0) return prior;
    changed = true;
    return checkFile(path.join(root, f.path), f, verify);
  });
  for (const [i, c] of checks.entries()) {
    const f = files[i] as FoundFile;
    if (c.error && reasonLost(c.error)) checks[i] = await checkFile(path.join(root, f.path), f, verify);
  }
  const items: DatasetItem[] = [];
  const skipped: SkippedFile[] = [];
  const details = new Map<string, FileCheck>();
  const record: Record<string, FileCheck> = {};
  files.forEach((f, i) => {
    const c = checks[i] as FileCheck;
    if (f.size >= 0) record[f.path] = c;
    if (c.error) {
      skipped.push({ path: f.path, reason: c.error });
      if (opts.warn ?? true) log.warn(`skipping ${path.join(root, f.path)}: ${c.error}`);
    } else {
      items.push({ path: f.path, label: f.label });
      details.set(f.path, c);
    }
  });
  if (verify && (changed || Object.keys(known).length !== Object.keys(record).length)) writeFileRecord(checksPath, CHECKS_VERSION, record);
  const counts = new Array<number>(classes.length).fill(0);
  for (const it of items) counts[it.label] = (counts[it.label] ?? 0) + 1;
  const empty = classes.filter((_, i) => counts[i] === 0);
  if (empty.length) {
    throw new TimError(`class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${c}'`).join(', ')} in '${root}' hold${empty.length > 1 ? '' : 's'} no usable image`);
  }
  if (skipped.length) log.info(`${root}: ${items.length} images in ${classes.length} classes; skipped ${skipped.length} broken file(s)`);
  return { root, classes, items, skipped, details };
}

/** `indexDatasetDetailed` without the per-file details. */
export async function indexDataset(root: string, opts: IndexOptions = {}): Promise<DatasetIndex> {
  const { details: _details, ...index } = await indexDatasetDetailed(root, opts);
  return index;
}
