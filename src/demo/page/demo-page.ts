/**
 * The demo page's script (browser; bundled into the page). It lists the models, sends the
 * chosen image to the server as the request body, and shows the answer. `data-state` on
 * <body> says where it stands: loading, ready, busy, done or error.
 */

import type { DemoModel } from '../models';
import { wireFileDrop } from './file-drop';

/** A model as the server lists it: its folder stays on the server. */
type ModelInfo = Omit<DemoModel, 'dir'>;

interface Answer {
  top: { label: string; confidence: number }[];
  explained: string;
  decision?: 'artist' | 'not_confident' | 'no_threshold';
  artists?: number;
  calibrated?: boolean;
  original: string;
  overlay: string;
  seconds: number;
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

/** The server's settings inlined in the page; checked here by hand, so the page needs no schema library. */
function demoConfig(text: string): { maxUploadBytes: number } {
  const v: unknown = JSON.parse(text);
  if (typeof v === 'object' && v !== null && 'maxUploadBytes' in v && typeof v.maxUploadBytes === 'number') return { maxUploadBytes: v.maxUploadBytes };
  throw new Error(`#tim-demo-config: expected {"maxUploadBytes": a number}, got ${text}`);
}

const config = demoConfig(byId('tim-demo-config').textContent ?? '{}');
const select = byId<HTMLSelectElement>('model');
const info = byId('model-info');
const drop = byId('drop');
const input = byId<HTMLInputElement>('file');
const status = byId('status');
let models: ModelInfo[] = [];
let current: File | undefined;
let originalUrl: string | undefined;

function pretty(label: string): string {
  return label.replace(/_/g, ' ');
}

function setStatus(text: string, kind: 'busy' | 'error' | '' = ''): void {
  status.textContent = text;
  status.className = kind;
}

function describe(m: ModelInfo): string {
  const parts = [m.arch, `${m.classes} artists`];
  if (m.imageSize) parts.push(`${m.imageSize} px ${m.resize ?? ''}`.trim());
  if (m.accuracy !== undefined) parts.push(`held-out accuracy ${(m.accuracy * 100).toFixed(1)}%`);
  return parts.join(' · ');
}

async function loadModels(): Promise<void> {
  const res = await fetch('api/models');
  const body = (await res.json()) as { models: ModelInfo[] };
  models = body.models;
  select.innerHTML = '';
  if (models.length === 0) {
    select.append(new Option('No trained models found', ''));
    setStatus('No run with a best/ model in the runs folder: train one first (npm run quickstart).', 'error');
    document.body.dataset.state = 'error';
    return;
  }
  for (const m of models) select.append(new Option(m.name === m.id ? m.name : `${m.name} (${m.id})`, m.id));
  select.disabled = false;
  info.textContent = describe(models[0] as ModelInfo);
  document.body.dataset.state = 'ready';
}

function showResult(answer: Answer): void {
  const verdict = byId('verdict');
  const first = answer.top[0];
  verdict.hidden = answer.decision !== 'not_confident' || first === undefined;
  verdict.textContent = first
    ? `Not confidently one of the ${answer.artists ?? answer.top.length} artists (closest: ${pretty(first.label)}, ${(first.confidence * 100).toFixed(1)}%)`
    : '';
  const list = byId<HTMLOListElement>('top3');
  list.innerHTML = '';
  for (const t of answer.top) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'artist';
    name.textContent = pretty(t.label);
    const conf = document.createElement('span');
    conf.className = 'conf';
    conf.textContent = `${(t.confidence * 100).toFixed(1)}%`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = `${Math.max(1, t.confidence * 100).toFixed(1)}%`;
    bar.append(fill);
    li.append(name, conf, bar);
    list.append(li);
  }
  byId('overlay-label').textContent = pretty(answer.explained);
  // The server's copy shows every format the model reads (browsers cannot show TIFF), upright.
  byId<HTMLImageElement>('original').src = answer.original;
  byId('timing').textContent = `Answered in ${answer.seconds.toFixed(2)} s by ${select.value}.`;
  const overlay = byId<HTMLImageElement>('overlay');
  overlay.src = answer.overlay;
  const original = byId<HTMLImageElement>('original');
  Promise.all([overlay.decode(), original.decode()])
    .then(() => {
      document.body.dataset.state = 'done';
    })
    .catch(() => {
      setStatus('The pictures came back but could not be shown.', 'error');
      document.body.dataset.state = 'error';
    });
  byId('empty').hidden = true;
  byId('result').hidden = false;
}

async function predict(): Promise<void> {
  if (!current || !select.value) return;
  const file = current;
  if (file.size > config.maxUploadBytes) {
    setStatus(`That file is too large: uploads are limited to ${(config.maxUploadBytes / 2 ** 20).toFixed(0)} MiB.`, 'error');
    document.body.dataset.state = 'error';
    return;
  }
  setStatus(`Looking at ${file.name}…`, 'busy');
  document.body.dataset.state = 'busy';
  try {
    const res = await fetch(`api/predict?model=${encodeURIComponent(select.value)}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
    const body = (await res.json()) as Answer & { error?: string };
    if (!res.ok) throw new Error(body.error ?? `the server answered ${res.status}`);
    if (file !== current) return;
    showResult(body);
    setStatus('');
  } catch (e) {
    setStatus(e instanceof Error ? e.message : String(e), 'error');
    document.body.dataset.state = 'error';
  }
}

function choose(file: File | undefined): void {
  if (!file) return;
  current = file;
  if (originalUrl) URL.revokeObjectURL(originalUrl);
  originalUrl = URL.createObjectURL(file);
  byId<HTMLImageElement>('original').src = originalUrl;
  void predict();
}

select.addEventListener('change', () => {
  const m = models.find((x) => x.id === select.value);
  info.textContent = m ? describe(m) : '';
  void predict();
});
wireFileDrop(drop, input, choose);
byId('choose').addEventListener('click', (e) => {
  e.stopPropagation();
  input.click();
});
drop.addEventListener('click', () => input.click());
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') input.click();
});

loadModels().catch((e: unknown) => {
  setStatus(`Could not list the models: ${e instanceof Error ? e.message : String(e)}`, 'error');
  document.body.dataset.state = 'error';
});
