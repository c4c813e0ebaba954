/** The report stylesheet: readable on screen and in print, no web fonts (offline). */
export const REPORT_CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #f5f7fa; --card: #fff; --accent: #2d5bd7; --good: #1b8a5a; --warn: #b4690e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
header.top { background: #1f2a44; color: #fff; padding: 28px 32px 22px; }
header.top h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; letter-spacing: .2px; }
header.top p { margin: 2px 0; color: #c9d3e8; font-size: 14px; }
header.top figure.lr-find { margin: 0; }
figure.lr-find img { max-width: 100%; height: auto; border: 1px solid var(--line); }
code { background: rgba(255,255,255,.14); color: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 24px 48px; }
nav.toc { margin: 18px 0 0; font-size: 14px; }
nav.toc a { margin-right: 14px; color: var(--accent); text-decoration: none; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px 20px; margin: 20px 0; box-shadow: 0 1px 2px rgba(20,30,60,.04); }
section.card > h2 { margin: 0 0 4px; font-size: 20px; }
section.card h3 { margin: 18px 0 6px; font-size: 16px; }
p.note { color: var(--muted); margin: 4px 0 12px; font-size: 14px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px 24px; align-items: start; }
.chart { min-height: 60px; overflow-x: auto; }
.chart-title { font-weight: 600; font-size: 14px; margin: 6px 0 2px; color: var(--muted); }
.chart-error { color: #a12020; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 7px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f0f3f8; font-weight: 600; }
.table-wrap { overflow-x: auto; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tr.best td { background: #eef8f2; }
.ci { color: var(--muted); font-size: 12px; }
.bar { position: relative; background: #edf1f7; border-radius: 3px; height: 8px; min-width: 80px; margin-top: 5px; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 3px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 22px; margin: 6px 0 8px; font-size: 14px; }
.facts b { font-weight: 600; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #eef2fb; color: #2a3f7a; font-size: 12.5px; margin-right: 4px; }
.warn { color: var(--warn); }
details > summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
svg.forest text { font: 12px system-ui, sans-serif; fill: var(--ink); }
code { background: #f0f3f8; padding: 0 4px; border-radius: 3px; font-size: 12.5px; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; padding: 12px; }
`;
