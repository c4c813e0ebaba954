import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../../core/errors';
import { unknownNameMessage } from '../../core/suggest';
import { download, sha256OfFile, UnreachableError } from '../../io/download';
import { defaultWeights, KNOWN_WEIGHTS, knownByUrl, WEIGHT_SOURCES, type KnownWeights, type WeightSource } from './catalog';

export interface FetchRequest {
  /** An architecture name (its known weights) or any http(s) URL. */
  target: string;
  source?: WeightSource;
  /** Expected SHA-256, full or a prefix; overrides what the catalogue or file name says. */
  sha256?: string;
  /** Folder to write into; default {@link weightsCacheDir}. */
  out?: string;
  progress?: boolean;
  /** Seconds to wait for an answer and for each next part of the body (see download). */
  timeoutS?: number;
  /** The largest download accepted, in MiB (see download). */
  maxMiB?: number;
}

export interface FetchPlan {
  url: string;
  file: string;
  sha256?: string;
  /** The server's stated hash (the Hugging Face hub's) may stand in for a known one. */
  trustServerHash: boolean;
}

export interface FetchResult {
  url: string;
  file: string;
  sha256: string;
  bytes: number;
  /** The file was already there and matched its hash: nothing was downloaded. */
  cached: boolean;
}

/** `$TIM_HOME/weights` when TIM_HOME is set, else `weights/` in the working folder. */
export function weightsCacheDir(): string {
  const home = process.env.TIM_HOME;
  return home ? path.join(home, 'weights') : 'weights';
}

/** torch.hub's convention: `name-<first hex digits of the SHA-256>.ext`. */
export function hashPrefixOfFileName(fileName: string): string | undefined {
  return /-([0-9a-f]{6,64})\.[^-]*$/.exec(fileName)?.[1];
}

function isUrl(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

function urlOf(known: KnownWeights): string {
  const mirror = process.env.TIM_WEIGHTS_MIRROR;
  return mirror ? `${mirror.replace(/\/+$/, '')}/${known.name}` : `${known.base}${known.name}`;
}

/** A hub URL `https://huggingface.co/<org>/<repo>/resolve/<rev>/<file>` is cached as `<repo>-<file>`. */
function cacheNameOfUrl(url: URL): string {
  const hub = /^\/[^/]+\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
  const name = hub?.[1] && hub[2] ? `${hub[1]}-${path.posix.basename(hub[2])}` : path.posix.basename(url.pathname);
  const decoded = decodeURIComponent(name);
  if (!decoded || decoded.includes('/') || decoded.startsWith('.')) throw new TimError(`${url.toString()}: the URL names no file to save`);
  return decoded;
}

/** Resolves an architecture or URL to where it is downloaded from, where it goes and its hash. */
export function planFetch(req: FetchRequest): FetchPlan {
  const dir = req.out ?? weightsCacheDir();
  if (isUrl(req.target)) {
    let url: URL;
    try {
      url = new URL(req.target);
    } catch {
      throw new TimError(`'${req.target}' is not a valid URL`);
    }
    const known = knownByUrl(url.toString());
    const fileName = known?.cacheName ?? cacheNameOfUrl(url);
    return {
      url: url.toString(),
      file: path.join(dir, fileName),
      sha256: req.sha256 ?? known?.sha256 ?? hashPrefixOfFileName(path.posix.basename(url.pathname)),
      trustServerHash: url.hostname === 'huggingface.co' || known?.source === 'timm',
    };
  }
  const source = req.source ?? 'torchvision';
  if (!WEIGHT_SOURCES.includes(source)) throw new TimError(unknownNameMessage('--source', source, [...WEIGHT_SOURCES]));
  const known = defaultWeights(req.target, source);
  if (!known) {
    const archs = [...new Set(KNOWN_WEIGHTS.filter((w) => w.source === source).map((w) => w.arch))];
    throw new TimError(`no known ${source} weights for '${req.target}' (known: ${archs.join(', ')}); give a URL instead`);
  }
  return { url: urlOf(known), file: path.join(dir, known.cacheName), sha256: req.sha256 ?? known.sha256 ?? hashPrefixOfFileName(known.name), trustServerHash: known.source === 'timm' };
}

/**
 * Makes sure the planned file is in place and verified: an existing one is checked against its
 * hash (and never overwritten), a missing one is downloaded. Offline, the error says which URL
 * to download by hand and where to put it.
 */
export async function fetchWeights(req: FetchRequest): Promise<FetchResult> {
  const plan = planFetch(req);
  if (fs.existsSync(plan.file)) {
    const sha256 = sha256OfFile(plan.file);
    if (plan.sha256 !== undefined && !sha256.startsWith(plan.sha256.toLowerCase())) {
      throw new TimError(`${plan.file}: already there, but its SHA-256 ${sha256} is not the expected ${plan.sha256}; move it away to download it again`);
    }
    return { url: plan.url, file: plan.file, sha256, bytes: fs.statSync(plan.file).size, cached: true };
  }
  try {
    const r = await download(plan.url, plan.file, { sha256: plan.sha256, trustServerHash: plan.trustServerHash, progress: req.progress, timeoutS: req.timeoutS, maxMiB: req.maxMiB });
    return { url: plan.url, file: r.file, sha256: r.sha256, bytes: r.bytes, cached: false };
  } catch (e) {
    if (e instanceof UnreachableError) {
      throw new TimError(`cannot reach ${new URL(e.url).host} (${e.reason}): download ${plan.url} by hand and put it at ${plan.file}`);
    }
    throw e;
  }
}

/** Whether `model.pretrained` names a source of known weights rather than a file. */
function isWeightSource(pretrained: string): pretrained is WeightSource {
  return (WEIGHT_SOURCES as readonly string[]).includes(pretrained);
}

/**
 * Checks, before any data is read, that `model.pretrained` can be resolved: `none`, a source,
 * or a file that exists; the error says how to get the weights.
 */
export function checkPretrained(arch: string, pretrained: string): void {
  if (pretrained === 'none') return;
  if (isWeightSource(pretrained)) {
    if (!defaultWeights(arch, pretrained)) planFetch({ target: arch, source: pretrained });
    return;
  }
  if (fs.existsSync(pretrained)) return;
  const known = defaultWeights(arch, 'torchvision');
  const hint = known
    ? `set model.pretrained: torchvision (or timm) to download ImageNet weights into ${weightsCacheDir()}/ on first use, or run 'tim weights fetch ${arch}' (writes ${path.join(weightsCacheDir(), known.cacheName)}) and point model.pretrained at the file`
    : `${arch} has no published ImageNet weights`;
  throw new TimError(`model.pretrained: weight file '${pretrained}' not found (a .pth, .pt, .safetensors or model.json path); ${hint}, or set model.pretrained: none`);
}

/**
 * The weight file `model.pretrained` names: `torchvision` or `timm` are that source's ImageNet
 * weights for the arch, fetched into the cache folder on first use; anything else is a path.
 */
export async function resolvePretrained(arch: string, pretrained: string): Promise<string> {
  checkPretrained(arch, pretrained);
  if (isWeightSource(pretrained)) return (await fetchWeights({ target: arch, source: pretrained })).file;
  return pretrained;
}
