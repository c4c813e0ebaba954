import * as fs from 'fs';
import type * as http from 'http';
import { request as httpRequest } from 'http';
import * as path from 'path';
import sharp from 'sharp';
import { TimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import type { DemoInference } from '../../../src/demo/inference';
import { listDemoModels } from '../../../src/demo/models';
import { hostAllowed, startDemo } from '../../../src/demo/server';
import { tmpDir } from '../../support/tmp';
import { fakeConfig, writeFakeRun } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('demo server', () => {
  let t: { dir: string; cleanup: () => void };
  let server: http.Server;
  let url: string;
  const seen: { dir: string; bytes: number }[] = [];
  let png: Buffer;

  beforeAll(async () => {
    t = tmpDir();
    for (const name of ['alpha', 'beta', 'sweeps/s1/resize-stretch']) {
      const dir = writeFakeRun(path.join(t.dir, name), fakeConfig({ name: path.basename(name) }));
      fs.mkdirSync(path.join(dir, 'best'));
      fs.writeFileSync(path.join(dir, 'best', 'model.json'), '{}');
    }
    writeFakeRun(path.join(t.dir, 'untrained'), fakeConfig({ name: 'untrained' }));
    png = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#a05030' } }).png().toBuffer();
    const inference: DemoInference = {
      explain: async (dir, bytes) => {
        seen.push({ dir, bytes: bytes.length });
        if (bytes.length === 29) throw new TimError('upload: corrupt image data');
        return { top: [{ label: 'Rembrandt', confidence: 0.7 }, { label: 'Claude_Monet', confidence: 0.2 }, { label: 'Pablo_Picasso', confidence: 0.1 }], originalPng: png, overlayPng: png, explained: 'Rembrandt' };
      },
    };
    ({ server, url } = await startDemo({ runs: t.dir, port: 0, inference, maxUploadBytes: 4096 }));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    t.cleanup();
  });

  const predict = (model: string, body: Buffer | string, type = 'image/png') =>
    fetch(`${url}api/predict?model=${encodeURIComponent(model)}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });

  /** A request exactly as written (no URL normalisation), with its own Host header. */
  const raw = (rawPath: string, host: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const { port } = new URL(url);
      const req = httpRequest({ host: '127.0.0.1', port: Number(port), path: rawPath, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('no request stops the server', async () => {
    const host = new URL(url).host;
    for (const p of ['//%', '//a:b', '/%zz', '//[', '/api/predict?model=%']) {
      const r = await raw(p, host);
      expect({ p, status: r.status < 500 }).toEqual({ p, status: true });
    }
    expect((await raw('//%', host)).body).toMatch(/Nothing at GET \/\/%/);
    expect((await fetch(`${url}api/models`)).status).toBe(200);
  });

  it('answers only to localhost names (no DNS rebinding)', async () => {
    const port = new URL(url).port;
    const evil = await raw('/api/models', `attacker.example:${port}`);
    expect(evil.status).toBe(421);
    expect(evil.body).toMatch(/answers only to localhost/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      expect({ host, status: (await raw('/api/models', host)).status }).toEqual({ host, status: 200 });
    }
    expect(hostAllowed('tim.lab:3000', 'tim.lab')).toBe(true);
    expect(hostAllowed('other.lab:3000', 'tim.lab')).toBe(false);
    expect(hostAllowed('anything:3000', '0.0.0.0')).toBe(true);
    expect(hostAllowed(undefined)).toBe(false);
  });

  it('listens on 127.0.0.1 unless told otherwise', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves a self-contained page', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="drop"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    expect(html).toMatch(/api\/predict/);
  });

  it('offers every run with a best model', async () => {
    const res = await fetch(`${url}api/models`);
    const body = (await res.json()) as { models: { id: string; arch: string; classes: number }[] };
    expect(body.models.map((m) => m.id)).toEqual(['alpha', 'beta', path.join('sweeps', 's1', 'resize-stretch')]);
    expect(body.models[0]).toMatchObject({ arch: 'tiny_cnn', classes: 4 });
    expect(listDemoModels(path.join(t.dir, 'alpha')).map((m) => m.id)).toEqual(['.']);
  });

  it('answers an image with the top three and an overlay, writing nothing into the runs', async () => {
    const before = listFiles(t.dir);
    const res = await predict('beta', png);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { top: { label: string }[]; overlay: string; original: string; explained: string; format: string };
    expect(body.top.map((x) => x.label)).toEqual(['Rembrandt', 'Claude_Monet', 'Pablo_Picasso']);
    expect(body.format).toBe('png');
    expect(Buffer.from(body.overlay.replace(/^data:image\/png;base64,/, ''), 'base64').equals(png)).toBe(true);
    expect(body.original).toMatch(/^data:image\/png;base64,/);
    expect(body.explained).toBe('Rembrandt');
    expect(seen.at(-1)).toEqual({ dir: path.join(t.dir, 'beta'), bytes: png.length });
    expect(listFiles(t.dir)).toEqual(before);
  });

  it('refuses large, odd and misdirected uploads with a clear message', async () => {
    const calls = seen.length;
    const big = await predict('alpha', Buffer.concat([png, Buffer.alloc(5000)]));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/too large: uploads are limited to 4 KiB/);
    const text = await predict('alpha', 'hello, this is not a picture', 'text/plain');
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: string }).error).toMatch(/not an image.*JPEG, PNG/);
    const empty = await predict('alpha', Buffer.alloc(0));
    expect(empty.status).toBe(400);
    const unknown = await predict('../alpha', png);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/No model/);
    const untrained = await predict('untrained', png);
    expect(untrained.status).toBe(404);
    expect(seen.length).toBe(calls);
    // Image magic bytes but a body the decoder rejects: 422 with the reason.
    const corrupt = await predict('alpha', Buffer.concat([png.subarray(0, 16), Buffer.alloc(13)]));
    expect(corrupt.status).toBe(422);
    expect(((await corrupt.json()) as { error: string }).error).toMatch(/Could not read that image: upload: corrupt/);
  });
});
