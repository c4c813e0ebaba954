// The exported page's script: loads model.json from its own folder, prepares a dropped picture
// as the run did (letterbox or stretch into the square, 0–1 RGB, the run's mean and std), and
// draws the Grad-CAM with Tim's own CAM code. Nothing leaves the page.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { contentBoxOf } from '../../../data/geometry';
import { CamExplainer } from '../../../explain/cam';
import { colormap } from '../../../explain/colormap';
import { wireFileDrop } from '../../../demo/page/file-drop';
import '../../../models/layers';
import type { WebMetadata } from '../../../io/run-folder';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page lacks #${id}`);
  return el as T;
};

function setStatus(text: string, kind: 'busy' | 'error' | '' = ''): void {
  const status = $('status');
  status.textContent = text;
  status.className = kind;
}

/** The browser's backends, fastest first. */
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * The fastest backend this browser starts, or the one `?backend=NAME` asks for. The wasm
 * backend's binaries lie beside the page, so nothing is fetched from anywhere else.
 */
async function pickBackend(): Promise<string> {
  setWasmPaths(new URL('./', location.href).href);
  const asked = new URLSearchParams(location.search).get('backend');
  for (const name of asked ? [asked] : BACKENDS) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // Try the next one: WebGPU and WebGL are missing in some browsers and headless set-ups.
    }
  }
  throw new Error(asked ? `the ${asked} backend cannot start in this browser` : 'no TensorFlow.js backend could start');
}

/** The picture in the model's square, as the run prepares it, plus where it lies. */
function prepare(bitmap: ImageBitmap, meta: WebMetadata): { x: tf.Tensor4D; canvas: HTMLCanvasElement; box: ReturnType<typeof contentBoxOf> } {
  const size = meta.imageSize;
  const p = meta.tim.preprocessing;
  const box = contentBoxOf(bitmap.width, bitmap.height, size, p.resize);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, box.x, box.y, box.width, box.height);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const values = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) values[i * 3 + c] = ((rgba[i * 4 + c] as number) / 255 - (p.mean[c] as number)) / (p.std[c] as number);
  }
  return { x: tf.tensor4d(values, [1, size, size, 3]), canvas, box };
}

/** The map blended over the picture area, half and half, as `tim explain` draws it. */
function drawOverlay(target: HTMLCanvasElement, picture: HTMLCanvasElement, map: Float32Array, size: number, box: ReturnType<typeof contentBoxOf>): void {
  target.width = box.width;
  target.height = box.height;
  const ctx = target.getContext('2d');
  const src = picture.getContext('2d')?.getImageData(box.x, box.y, box.width, box.height);
  if (!ctx || !src) return;
  const out = ctx.createImageData(box.width, box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const i = y * box.width + x;
      const [r, g, b] = colormap(map[(y + box.y) * size + x + box.x] ?? 0, 'viridis');
      out.data[i * 4] = 0.5 * (src.data[i * 4] as number) + 0.5 * r;
      out.data[i * 4 + 1] = 0.5 * (src.data[i * 4 + 1] as number) + 0.5 * g;
      out.data[i * 4 + 2] = 0.5 * (src.data[i * 4 + 2] as number) + 0.5 * b;
      out.data[i * 4 + 3] = 255;
    }
  }
  ctx.putImageData(out, 0, 0);
}

function showTop(probs: Float32Array, labels: string[], logits: Float32Array): void {
  // Ranked by logit, which orders classes as the probabilities do, also where a low temperature
  // rounds several float32 probabilities to the same 0.
  const order = Array.from(probs.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  const list = $('top3');
  list.replaceChildren();
  for (const i of order.slice(0, 3)) {
    const li = document.createElement('li');
    const p = probs[i] as number;
    li.dataset.label = labels[i] ?? String(i);
    li.dataset.probability = String(p);
    const name = document.createElement('span');
    name.className = 'artist';
    name.textContent = (labels[i] ?? String(i)).replace(/_/g, ' ');
    const conf = document.createElement('span');
    conf.className = 'conf';
    conf.textContent = `${(100 * p).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    bar.append(fill);
    li.append(name, conf, bar);
    list.append(li);
  }
  $('probabilities').textContent = JSON.stringify(Array.from(probs));
}

/** "Not confidently one of the N artists" when the top calibrated probability is below the run's threshold. */
function showVerdict(probs: Float32Array, meta: WebMetadata): void {
  const verdict = $('verdict');
  const threshold = meta.tim.calibration?.unknownThreshold;
  let best = 0;
  for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[best] as number)) best = i;
  const p = probs[best] ?? 0;
  verdict.hidden = threshold === undefined || p >= threshold;
  verdict.textContent = `Not confidently one of the ${meta.labels.length} artists (closest: ${(meta.labels[best] ?? String(best)).replace(/_/g, ' ')}, ${(100 * p).toFixed(1)}%)`;
}

async function classify(file: Blob, model: tf.LayersModel, cam: CamExplainer, meta: WebMetadata): Promise<void> {
  document.body.dataset.state = 'working';
  setStatus('Looking…', 'busy');
  const bitmap = await createImageBitmap(file);
  const { x, canvas, box } = prepare(bitmap, meta);
  const resized = bitmap.width !== meta.imageSize || bitmap.height !== meta.imageSize;
  try {
    const { maps, logits } = cam.compute(x, [undefined], 'gradcam');
    // The run's temperature makes the probabilities calibrated ones (1 without calibration).
    const temperature = meta.tim.calibration?.temperature ?? 1;
    const softmax = tf.tidy(() => tf.softmax(logits.div(temperature)));
    // Read without blocking: WebGPU has no synchronous read.
    const [probs, logitValues, map] = (await Promise.all([softmax.data(), logits.data(), maps.data()])) as [Float32Array, Float32Array, Float32Array];
    tf.dispose([softmax, maps, logits]);
    showTop(probs, meta.labels, logitValues);
    showVerdict(probs, meta);
    const original = $<HTMLCanvasElement>('original');
    original.width = box.width;
    original.height = box.height;
    original.getContext('2d')?.drawImage(canvas, box.x, box.y, box.width, box.height, 0, 0, box.width, box.height);
    drawOverlay($<HTMLCanvasElement>('overlay'), canvas, map, meta.imageSize, box);
    $('resample-note').hidden = !resized;
    $('result').hidden = false;
    setStatus('');
    document.body.dataset.state = 'done';
  } finally {
    x.dispose();
    bitmap.close();
  }
}

async function main(): Promise<void> {
  const backend = await pickBackend();
  const meta = (await (await fetch('metadata.json')).json()) as WebMetadata;
  const model = await tf.loadLayersModel('model.json');
  const cam = new CamExplainer(model, meta.tim.camTargetLayer);
  $('backend').textContent = backend;
  document.body.dataset.state = 'ready';
  setStatus('');
  const onFile = (file: File | undefined): void => {
    if (!file) return;
    classify(file, model, cam, meta).catch((e: unknown) => {
      document.body.dataset.state = 'error';
      console.error(e instanceof Error ? e.stack : String(e));
      setStatus(`Cannot read this image: ${e instanceof Error ? e.message : String(e)}`, 'error');
    });
  };
  const input = $<HTMLInputElement>('file');
  $('choose').addEventListener('click', () => input.click());
  wireFileDrop($('drop'), input, onFile);
}

main().catch((e: unknown) => {
  document.body.dataset.state = 'error';
  setStatus(`The model did not load: ${e instanceof Error ? e.message : String(e)}`, 'error');
});
