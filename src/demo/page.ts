import * as path from 'path';
import { escapeMarkup } from '../core/markup';
import { bundlePageScript, jsonTag, scriptTag } from '../core/page';

const CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #f5f7fa; --accent: #2d5bd7; --err: #a12020; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #1f2a44; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0; font-size: 24px; font-weight: 650; }
header p { margin: 4px 0 0; color: #c9d3e8; font-size: 14px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; display: grid; grid-template-columns: 320px 1fr; gap: 20px; align-items: start; }
@media (max-width: 860px) { main { grid-template-columns: 1fr; } }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; box-shadow: 0 1px 2px rgba(20,30,60,.04); }
label.field { display: block; font-weight: 600; font-size: 13px; color: var(--muted); margin-bottom: 6px; text-transform: uppercase; letter-spacing: .4px; }
select { width: 100%; font: inherit; padding: 8px 10px; border: 1px solid var(--line); border-radius: 7px; background: #fff; }
.model-info { font-size: 13px; color: var(--muted); margin: 6px 0 18px; min-height: 1.2em; }
#drop { border: 2px dashed #b8c3d9; border-radius: 10px; padding: 26px 14px; text-align: center; background: #fafbfd; cursor: pointer; transition: background .15s, border-color .15s; }
#drop.over { background: #eef3ff; border-color: var(--accent); }
#drop strong { display: block; font-size: 16px; margin-bottom: 4px; }
#drop span { color: var(--muted); font-size: 13px; }
button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 7px; padding: 8px 16px; margin-top: 12px; cursor: pointer; }
.hint { font-size: 12.5px; color: var(--muted); margin-top: 12px; }
#status { min-height: 1.5em; margin: 12px 0 0; font-size: 14px; }
#status.error { color: var(--err); font-weight: 600; }
#status.busy::before { content: ""; display: inline-block; width: 12px; height: 12px; margin-right: 8px; border: 2px solid #b8c3d9; border-top-color: var(--accent); border-radius: 50%; animation: spin .8s linear infinite; vertical-align: -1px; }
@keyframes spin { to { transform: rotate(360deg); } }
.empty { color: var(--muted); text-align: center; padding: 70px 20px; }
#result[hidden], .empty[hidden] { display: none; }
.pictures { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
figure { margin: 0; }
figure img { display: block; width: 100%; max-height: 420px; object-fit: contain; background: #eef1f6; border-radius: 8px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; text-align: center; }
h2 { font-size: 17px; margin: 18px 0 8px; }
#verdict { font-weight: 650; color: #8a4b00; background: #fff4e0; border-radius: 6px; padding: 8px 12px; }
#top3 { list-style: none; padding: 0; margin: 0; }
#top3 li { display: grid; grid-template-columns: 1fr 64px; gap: 4px 12px; padding: 8px 0; border-bottom: 1px solid var(--line); }
#top3 li:first-child .artist { font-size: 18px; font-weight: 650; }
#top3 .conf { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
#top3 .bar { grid-column: 1 / span 2; height: 6px; background: #edf1f7; border-radius: 3px; overflow: hidden; }
#top3 .bar span { display: block; height: 100%; background: var(--accent); }
#top3 li:not(:first-child) .bar span { background: #9fb3e6; }
.timing { font-size: 12.5px; color: var(--muted); margin-top: 10px; }
`;

/** The demo page: a model picker, a drop zone, the top-3 artists and the Grad-CAM overlay. */
export function demoPage(opts: { maxUploadBytes: number }): string {
  const limitMiB = Math.round((opts.maxUploadBytes / 2 ** 20) * 10) / 10;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tim: who painted it?</title><style>${CSS}</style></head>
<body data-state="loading">
<header><h1>Who painted it?</h1><p>Pick a model, drop a painting: Tim names the three most likely artists and shows where the model looked (Grad-CAM).</p></header>
<main>
<section class="card" aria-label="input">
<label class="field" for="model">Model</label>
<select id="model" disabled><option>Loading models…</option></select>
<div class="model-info" id="model-info"></div>
<label class="field" for="file">Painting</label>
<div id="drop" tabindex="0" role="button" aria-label="Drop an image here or choose a file">
<strong>Drop an image here</strong><span>or</span><br><button type="button" id="choose">Choose a file</button>
<input type="file" id="file" accept="image/*" hidden>
</div>
<p class="hint">JPEG, PNG, WebP, TIFF or GIF, up to ${escapeMarkup(limitMiB)} MiB. The image is processed on this computer and not kept.</p>
<p id="status" role="status" aria-live="polite"></p>
</section>
<section class="card" aria-label="result">
<div class="empty" id="empty">The prediction appears here.</div>
<div id="result" hidden>
<div class="pictures">
<figure><img id="original" alt="the uploaded painting"><figcaption>Original</figcaption></figure>
<figure><img id="overlay" alt="Grad-CAM heat map over the painting"><figcaption>Grad-CAM: where the model looked for <b id="overlay-label"></b></figcaption></figure>
</div>
<p id="verdict" hidden></p>
<h2>Most likely artists</h2>
<ol id="top3"></ol>
<div class="timing" id="timing"></div>
</div>
</section>
</main>
${jsonTag('tim-demo-config', { maxUploadBytes: opts.maxUploadBytes })}
${scriptTag(bundlePageScript(path.join(__dirname, 'page', 'demo-page.ts')))}
</body></html>
`;
}
