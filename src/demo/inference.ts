import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { oneLine, TimError } from '../core/errors';
import { blendHeatmap, explainImage } from '../explain';
import { disposeRun, loadRunForInference, type InferenceRun } from '../inference';
import { MODEL_JSON, WEIGHTS_BIN } from '../io/model-io';
import { RUN_FILES } from '../io/run-folder';
import { processRunning } from '../io/run-lock';

/** One of the top classes for an image. */
export interface DemoGuess {
  label: string;
  confidence: number;
}

export interface DemoResult {
  top: DemoGuess[];
  /** The picture as the model saw it (upright, padding removed), as PNG: browsers cannot show every upload format. */
  originalPng: Buffer;
  /** The same picture with the Grad-CAM heat map blended over it, as PNG. */
  overlayPng: Buffer;
  /** The class the heat map explains. */
  explained: string;
  /** The unknown-artist verdict: 'not_confident' when the image is below the run's threshold. */
  decision?: 'artist' | 'not_confident' | 'no_threshold';
  /** How many artists the run knows. */
  artists?: number;
  /** Whether the confidences are calibrated (the run has a calibration.json). */
  calibrated?: boolean;
}

/**
 * What the demo needs from the explain area, behind one seam: tests pass fakes, the server
 * uses the real prediction and Grad-CAM code. Inputs are image bytes held in memory.
 */
export interface DemoInference {
  explain(runDir: string, image: Buffer): Promise<DemoResult>;
}

/** What identifies the model a run folder holds now: its best/ model files' identity and times. */
function modelStamp(runDir: string): string {
  const parts = [RUN_FILES.config, path.join(RUN_FILES.best, MODEL_JSON), path.join(RUN_FILES.best, WEIGHTS_BIN)].map((f) => {
    try {
      const st = fs.statSync(path.join(runDir, f));
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  });
  return parts.join('|');
}

/** Longest side of the pictures sent back to the page. */
const PANEL = 512;

async function uprightPanel(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated', pages: 1, autoOrient: true })
      .resize(PANEL, PANEL, { fit: 'inside', withoutEnlargement: false })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new TimError(`cannot read the image (${oneLine(e)})`);
  }
}

function png(img: { data: Uint8Array; width: number; height: number }): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/**
 * The real thing: each run is loaded once and kept (until its best/ changes); an upload is
 * written to the server's private uploads folder (never into a run folder), explained with
 * Grad-CAM, and deleted.
 */
const UPLOADS_PREFIX = 'tim-demo-';

/**
 * The server's one folder for uploads being explained (`<tmp>/tim-demo-<pid>`), removed when
 * the process exits. Folders of demos that were killed (their pid no longer runs) are removed
 * when the next one starts, so no upload outlives its server for long.
 */
function uploadsFolder(root: string): string {
  for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const pid = Number(name.slice(UPLOADS_PREFIX.length).split('-')[0]);
    if (name.startsWith(UPLOADS_PREFIX) && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processRunning(pid)) {
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }
  const dir = fs.mkdtempSync(path.join(root, `${UPLOADS_PREFIX}${process.pid}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function explainInference(opts: { uploadsRoot?: string } = {}): DemoInference {
  const uploads = uploadsFolder(opts.uploadsRoot ?? os.tmpdir());
  let sequence = 0;
  const runs = new Map<string, { stamp: string; run: Promise<InferenceRun> }>();
  return {
    async explain(runDir, image) {
      // A run folder replaced or retrained while the demo is up (a new best/) is loaded again.
      const stamp = modelStamp(runDir);
      let entry = runs.get(runDir);
      if (entry && entry.stamp !== stamp) {
        runs.delete(runDir);
        entry.run.then(disposeRun, () => undefined);
        entry = undefined;
      }
      if (!entry) {
        const fresh = { stamp, run: loadRunForInference(runDir) };
        runs.set(runDir, fresh);
        fresh.run.catch(() => runs.get(runDir) === fresh && runs.delete(runDir));
        entry = fresh;
      }
      const loaded = await entry.run;
      const file = path.join(uploads, `upload-${sequence++}`);
      try {
        fs.writeFileSync(file, image);
        const e = await explainImage(loaded, file, { method: 'gradcam' });
        const original = await uprightPanel(file);
        const [originalPng, overlayPng] = await Promise.all([png(original), png(blendHeatmap(original, e.contentMap))]);
        return {
          top: e.top.slice(0, 3).map((t) => ({ label: t.label, confidence: t.confidence })),
          originalPng,
          overlayPng,
          explained: e.explained.label,
          decision: e.unknown.decision,
          artists: e.artists,
          calibrated: e.unknown.calibrated,
        };
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  };
}
