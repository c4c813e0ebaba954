import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NotAvailableError } from '../core/errors';

/** One of the top classes for an image. */
export interface DemoGuess {
  label: string;
  confidence: number;
}

export interface DemoResult {
  top: DemoGuess[];
  /** The Grad-CAM overlay as PNG bytes. */
  overlayPng: Buffer;
}

/**
 * What the demo needs from the explain area, behind one seam: tests pass fakes, the server
 * uses the real prediction and Grad-CAM code. Inputs are image bytes held in memory.
 */
export interface DemoInference {
  explain(runDir: string, image: Buffer): Promise<DemoResult>;
}

/** The explain API (see the project's API notes), typed loosely so this module loads before it exists. */
interface ExplainApi {
  loadRunForInference(runDir: string): Promise<unknown>;
  explainImage(run: unknown, file: string, opts: { method?: string }): Promise<{ label: string; confidence: number; top: DemoGuess[]; heatmap: number[][] }>;
  renderOverlayPng(...args: unknown[]): Promise<Buffer> | Buffer;
}

function explainApi(): ExplainApi {
  let mod: Partial<ExplainApi>;
  try {
    mod = require('../explain') as Partial<ExplainApi>;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && err.message?.includes("'../explain'")) throw new NotAvailableError('Grad-CAM (src/explain)');
    throw e;
  }
  if (typeof mod.loadRunForInference !== 'function' || typeof mod.explainImage !== 'function' || typeof mod.renderOverlayPng !== 'function') {
    throw new NotAvailableError('Grad-CAM (src/explain)');
  }
  return mod as ExplainApi;
}

/**
 * The real thing: each run is loaded once and kept; an upload is written to a private
 * temporary folder (never into a run folder), explained, and deleted.
 */
export function explainInference(): DemoInference {
  const runs = new Map<string, Promise<unknown>>();
  return {
    async explain(runDir, image) {
      const api = explainApi();
      let run = runs.get(runDir);
      if (!run) {
        run = api.loadRunForInference(runDir);
        runs.set(runDir, run);
        run.catch(() => runs.delete(runDir));
      }
      const loaded = await run;
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-demo-'));
      try {
        const file = path.join(tmp, 'upload');
        fs.writeFileSync(file, image);
        const explanation = await api.explainImage(loaded, file, { method: 'gradcam' });
        const overlayPng = await api.renderOverlayPng(file, explanation, loaded);
        return { top: explanation.top.slice(0, 3).map((t) => ({ label: t.label, confidence: t.confidence })), overlayPng };
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}
