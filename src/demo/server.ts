import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { isTimError, oneLine } from '../core/errors';
import { log } from '../core/log';
import { IMAGE_FORMATS, sniffFormat } from '../data/formats';
import { demoPage } from './page';
import { explainInference, type DemoInference } from './inference';
import { listDemoModels } from './models';

export const DEFAULT_MAX_UPLOAD_BYTES = 12 * 1024 * 1024;

export interface DemoServerOptions {
  /** Folder of run folders (any run with a `best/` model is offered). */
  runs: string;
  inference?: DemoInference;
  maxUploadBytes?: number;
  /**
   * The address it listens on (default 127.0.0.1). It answers only requests whose Host header
   * names localhost or this address, so a page on another site cannot reach the demo by
   * pointing its own name at 127.0.0.1 (DNS rebinding); 0.0.0.0 and :: accept any name.
   */
  host?: string;
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1', '[::1]'];

/** The name in a Host header, without its port ("[::1]:3000" → "[::1]", "a.test:80" → "a.test"). */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

export function hostAllowed(header: string | undefined, listenHost = '127.0.0.1'): boolean {
  if (!header) return false;
  if (listenHost === '0.0.0.0' || listenHost === '::') return true;
  const name = hostName(header);
  const own = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  return LOCAL_HOSTS.includes(name) || name.endsWith('.localhost') || name === own.toLowerCase();
}

/** A message for the page: run paths relative to the runs folder, no other server path at all. */
export function withoutServerPaths(message: string, runsRoot: string): string {
  return message
    .split(`${runsRoot}${path.sep}`)
    .join('')
    .replace(/(^|[\s'"(=])((?:\/[\w.@+-]+){2,}\/?)/g, (_m, before: string, p: string) => `${before}${path.basename(p)}`);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sizeText(bytes: number): string {
  const [unit, scale] = bytes >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
  const v = bytes / scale;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/** The request body in memory, refused as soon as it passes the limit. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `That file is too large: uploads are limited to ${sizeText(limit)}.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}

/**
 * The demo's HTTP server (not yet listening). Uploads stay in memory until the explain step,
 * which works in a private temporary folder; nothing is ever written under the runs folder.
 * Requests are explained one at a time, so two people at once do not double the memory.
 */
export function createDemoServer(opts: DemoServerOptions): http.Server {
  const inference = opts.inference ?? explainInference();
  const limit = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const runsRoot = path.resolve(opts.runs);
  let queue: Promise<unknown> = Promise.resolve();
  let page: string | undefined;

  const predict = async (req: http.IncomingMessage, url: URL): Promise<unknown> => {
    const id = url.searchParams.get('model') ?? '';
    const model = listDemoModels(runsRoot).find((m) => m.id === id);
    if (!model) throw new HttpError(404, id ? `No model '${id}' here; reload the page to see the current list.` : 'Choose a model first.');
    const body = await readBody(req, limit);
    if (body.length === 0) throw new HttpError(400, 'The upload was empty.');
    const format = sniffFormat(body.subarray(0, 16));
    if (!format) throw new HttpError(415, `That file is not an image Tim can read (it takes ${IMAGE_FORMATS.map((f) => f.toUpperCase()).join(', ')}).`);
    const started = Date.now();
    const run = queue.then(() => inference.explain(model.dir, body));
    queue = run.catch(() => undefined);
    let result;
    try {
      result = await run;
    } catch (e) {
      // A file that looks like an image but does not decode is the user's to fix; say so plainly.
      if (isTimError(e) && e.exitCode !== 2) throw new HttpError(422, `Could not read that image: ${oneLine(e)}`);
      throw e;
    }
    return {
      model: model.id,
      format,
      top: result.top,
      explained: result.explained,
      decision: result.decision,
      artists: result.artists,
      calibrated: result.calibrated,
      original: `data:image/png;base64,${result.originalPng.toString('base64')}`,
      overlay: `data:image/png;base64,${result.overlayPng.toString('base64')}`,
      seconds: (Date.now() - started) / 1000,
    };
  };

  return http.createServer((req, res) => {
    let route = `${req.method ?? 'GET'} ${(req.url ?? '/').slice(0, 200)}`;
    const handle = async (): Promise<void> => {
      if (!hostAllowed(req.headers.host, opts.host)) throw new HttpError(421, 'This demo answers only to localhost (start it with --host NAME to allow another name).');
      let url: URL;
      try {
        url = new URL(`http://localhost${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? '/'}`);
      } catch {
        throw new HttpError(400, 'That address is not a valid URL.');
      }
      route = `${req.method ?? 'GET'} ${url.pathname}`;
      if (route === 'GET /' || route === 'GET /index.html') {
        page ??= demoPage({ maxUploadBytes: limit });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(page);
      } else if (route === 'GET /api/models') {
        sendJson(res, 200, { models: listDemoModels(runsRoot).map(({ dir: _dir, ...m }) => m), maxUploadBytes: limit });
      } else if (route === 'POST /api/predict') {
        sendJson(res, 200, await predict(req, url));
      } else if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
      } else {
        throw new HttpError(404, `Nothing at ${req.method ?? ''} ${url.pathname}.`);
      }
    };
    handle().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : isTimError(e) && e.exitCode === 2 ? 503 : 500;
      if (status >= 500) log.warn(`demo: ${route}: ${oneLine(e)}`);
      const shown = withoutServerPaths(oneLine(e), runsRoot);
      if (!res.headersSent) {
        // Tell the browser to stop sending the rest of a refused upload.
        if (status === 413) res.setHeader('connection', 'close');
        sendJson(res, status, { error: status === 500 ? `Something went wrong: ${shown}` : shown });
      }
      if (status === 413) req.resume();
    });
  });
}

/** Starts the demo and resolves with its address once it listens. */
export async function startDemo(opts: DemoServerOptions & { port?: number }): Promise<{ server: http.Server; url: string }> {
  const server = createDemoServer(opts);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `http://${shownHost}:${addr.port}/` };
}
