import { escapeMarkup } from '../../core/markup';
import type { AccuracyFigure, WebMetadata } from '../../io/run-folder';

const CSS = `
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1d2330; background: #f5f7fa; }
header { background: #1f2a44; color: #fff; padding: 20px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #c9d3e8; font-size: 14px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px; display: grid; grid-template-columns: 300px 1fr; gap: 20px; align-items: start; }
.card { background: #fff; border: 1px solid #dde2ea; border-radius: 10px; padding: 16px 18px; }
#drop { border: 2px dashed #b8c3d9; border-radius: 10px; padding: 24px 12px; text-align: center; background: #fafbfd; }
#drop.over { background: #eef3ff; border-color: #2d5bd7; }
button { font: inherit; background: #2d5bd7; color: #fff; border: 0; border-radius: 7px; padding: 8px 16px; margin-top: 10px; cursor: pointer; }
.facts { font-size: 13px; color: #5b6475; margin-top: 14px; }
#status.error { color: #a12020; font-weight: 600; }
.pictures { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
figure { margin: 0; } canvas { width: 100%; image-rendering: pixelated; background: #eef1f6; border-radius: 8px; }
figcaption { font-size: 13px; color: #5b6475; text-align: center; }
#top3 { list-style: none; padding: 0; }
#top3 li { display: grid; grid-template-columns: 1fr 64px; gap: 4px 12px; padding: 6px 0; border-bottom: 1px solid #dde2ea; }
#top3 .conf { text-align: right; font-weight: 600; }
#top3 .bar { grid-column: 1 / span 2; height: 6px; background: #edf1f7; border-radius: 3px; overflow: hidden; }
#top3 .bar span { display: block; height: 100%; background: #2d5bd7; }
[hidden] { display: none !important; }
.note { font-size: 12.5px; color: #5b6475; }
`;

function figure(a: AccuracyFigure | undefined): string {
  if (!a) return 'not measured';
  const interval = a.lo !== undefined && a.hi !== undefined ? ` (95% interval ${(100 * a.lo).toFixed(1)}–${(100 * a.hi).toFixed(1)}%)` : '';
  return `${(100 * a.accuracy).toFixed(1)}%${interval}, ${a.n} held-out images`;
}

/** The exported folder's index.html: drop zone, top-3, picture and Grad-CAM, the model's record. */
export function webPage(meta: WebMetadata, scriptFile: string): string {
  const t = meta.tim;
  const quantised = t.quantization !== 'none';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Who painted it? (${escapeMarkup(t.run)})</title><style>${CSS}</style></head>
<body data-state="loading">
<header><h1>Who painted it?</h1><p>Drop a painting: the model names the three most likely artists and shows where it looked (Grad-CAM). Everything runs in this page; no picture leaves it.</p></header>
<main>
<section class="card">
<div id="drop"><strong>Drop an image here</strong><br><button type="button" id="choose">Choose a file</button><input type="file" id="file" accept="image/*" hidden></div>
<p id="status" class="busy">Loading the model…</p>
<div class="facts">
<div>Model: ${escapeMarkup(t.arch)}, run ${escapeMarkup(t.run)}, ${meta.labels.length} artists, ${meta.imageSize} px (${escapeMarkup(t.preprocessing.resize)})</div>
<div>Held-out accuracy: <span id="accuracy">${escapeMarkup(figure(t.heldOut?.float))}</span></div>
${quantised ? `<div>With these ${escapeMarkup(t.quantization)} weights: <span id="accuracy-exported">${escapeMarkup(figure(t.heldOut?.exported))}</span></div>` : ''}
<div>Computed with TensorFlow.js on <span id="backend">…</span></div>
</div>
</section>
<section class="card" id="result" hidden>
<p id="verdict" hidden></p>
<h2>Most likely</h2><ol id="top3"></ol>
<div class="pictures"><figure><canvas id="original"></canvas><figcaption>as the model sees it</figcaption></figure>
<figure><canvas id="overlay"></canvas><figcaption>Grad-CAM (${escapeMarkup(t.camTargetLayer)})</figcaption></figure></div>
<p class="note" id="resample-note" hidden>This picture is not ${meta.imageSize}×${meta.imageSize}: the browser resized it (its own smoothing filter), where Tim resizes bicubically, so the probabilities may differ from <code>tim predict</code> by a few points.</p>
<pre id="probabilities" hidden></pre>
</section>
</main>
<script src="${escapeMarkup(scriptFile)}"></script>
</body></html>`;
}
