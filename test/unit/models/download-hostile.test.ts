import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli/main';
import { isTimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import { download, downloadLimits } from '../../../src/io/download';
import { lockFileOf } from '../../../src/io/run-lock';
import { fetchWeights } from '../../../src/models/weights/fetch';
import { tmpDir } from '../../support/tmp';

jest.setTimeout(20_000);

const body = randomBytes(200_000);
const sha = createHash('sha256').update(body).digest('hex');
let server: http.Server;
let base = '';
let requests = 0;
/** Called when a request for /plant arrives, before it is answered. */
let onPlant: () => void = () => undefined;

beforeAll(async () => {
  setLogLevel('quiet');
  server = http.createServer((req, res) => {
    requests++;
    const url = req.url ?? '';
    if (url === '/silent') return; // never answers
    if (url === '/stall') {
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body.subarray(0, 1000)); // then nothing
      return;
    }
    if (url === '/endless') {
      res.writeHead(200); // chunked, no Content-Length
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
      return;
    }
    if (url === '/huge') {
      res.writeHead(200, { 'Content-Length': 50 * 1024 * 1024 });
      res.write(body.subarray(0, 10));
      return;
    }
    if (url === '/to-file') return void res.writeHead(302, { Location: 'file:///etc/passwd' }).end();
    if (url === '/to-nowhere') return void res.writeHead(302, { Location: 'http://[::1' }).end();
    if (url === '/slow') {
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body.subarray(0, 100_000));
      setTimeout(() => res.end(body.subarray(100_000)), 300);
      return;
    }
    if (url === '/plant') onPlant();
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  setLogLevel('info');
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isTimError(e)) throw e;
    expect(e.message).not.toMatch(/\n/);
    return e.message;
  }
  throw new Error('the download succeeded');
}

const opts = { sha256: sha, progress: false, timeoutS: 0.3, lockWaitMs: 2000 };

describe('downloads that would hang or never end', () => {
  it('a server that never answers: stopped after the timeout, naming the URL', async () => {
    const t = tmpDir();
    try {
      const started = Date.now();
      expect(await refusal(download(`${base}/silent`, path.join(t.dir, 'w.bin'), opts))).toBe(`cannot reach ${base}/silent (no answer within 0.3 s)`);
      expect(Date.now() - started).toBeLessThan(3000);
      // Through weights fetch: the same, with where to put a file fetched by hand.
      expect(await refusal(fetchWeights({ target: `${base}/silent`, out: t.dir, sha256: sha, progress: false, timeoutS: 0.3 }))).toMatch(/^cannot reach 127\.0\.0\.1:\d+ \(no answer within 0\.3 s\): download .*\/silent by hand/);
    } finally {
      t.cleanup();
    }
  });

  it('a body that stalls: stopped after the timeout, the partial download kept for a resume', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.bin');
      expect(await refusal(download(`${base}/stall`, file, opts))).toBe(`${base}/stall: the server sent nothing for 0.3 s after 1000 of 200000 bytes (--timeout or TIM_DOWNLOAD_TIMEOUT); run the same command again to resume`);
      expect(fs.statSync(`${file}.part`).size).toBe(1000);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('an endless body without a size stops at the cap and is removed; an announced size over the cap is refused before any byte', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.bin');
      expect(await refusal(download(`${base}/endless`, file, { ...opts, maxMiB: 0.5 }))).toBe(`${base}/endless: the server sent more than 524288 bytes without announcing a size (--max-size or TIM_DOWNLOAD_MAX_SIZE, in MiB); the partial download was removed`);
      expect(fs.readdirSync(t.dir).filter((f) => !f.endsWith('.lock'))).toEqual([]);
      expect(await refusal(download(`${base}/huge`, file, { ...opts, maxMiB: 1 }))).toBe(`${base}/huge: the server announces 52428800 bytes, more than the 1048576 allowed (--max-size or TIM_DOWNLOAD_MAX_SIZE, in MiB)`);
      expect(fs.existsSync(`${file}.part`)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('weights fetch --timeout bounds the wait, in one line naming the URL', async () => {
    const t = tmpDir();
    let err = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
    try {
      const code = await main(['weights', 'fetch', `${base}/silent`, '--out', t.dir, '--sha256', sha.slice(0, 8), '--timeout', '0.3']);
      expect(code).not.toBe(0);
      expect(err.trim().split('\n')).toEqual([expect.stringMatching(/^tim: cannot reach 127\.0\.0\.1:\d+ \(no answer within 0\.3 s\): download .*\/silent by hand/)]);
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
      t.cleanup();
    }
  });

  it('limits come from the options, else the environment, and bad values are named', async () => {
    expect(downloadLimits({})).toEqual({ timeoutS: 30, maxBytes: 1024 * 1024 * 1024 });
    process.env.TIM_DOWNLOAD_TIMEOUT = 'soon';
    try {
      expect(() => downloadLimits({})).toThrow("TIM_DOWNLOAD_TIMEOUT: expected a number > 0, got 'soon'");
      expect(downloadLimits({ timeoutS: 5, maxMiB: 2 })).toEqual({ timeoutS: 5, maxBytes: 2 * 1024 * 1024 });
    } finally {
      delete process.env.TIM_DOWNLOAD_TIMEOUT;
    }
    expect(() => downloadLimits({ maxMiB: -1 })).toThrow('--max-size: expected a number > 0, got -1');
  });
});

describe('URLs and redirects', () => {
  it('a redirect to file:// or to no valid URL, and an invalid URL, are named', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.bin');
      expect(await refusal(download(`${base}/to-file`, file, opts))).toBe(`${base}/to-file: ${base}/to-file redirects to file:///etc/passwd, a file URL; Tim follows redirects only to http and https`);
      expect(await refusal(download(`${base}/to-nowhere`, file, opts))).toBe(`${base}/to-nowhere: ${base}/to-nowhere redirects to 'http://[::1', which is not a valid URL`);
      expect(await refusal(download('http://[::1', file, opts))).toBe("'http://[::1' is not a valid URL (expected http:// or https://...)");
      expect(await refusal(download('ftp://example.org/w.bin', file, opts))).toBe('ftp://example.org/w.bin: a ftp URL; Tim downloads only http and https URLs');
    } finally {
      t.cleanup();
    }
  });
});

describe('what Tim writes into the cache', () => {
  it('never writes through a link planted as the .part file, before or during the download', async () => {
    const t = tmpDir();
    try {
      const mine = path.join(t.dir, 'my-thesis.txt');
      fs.writeFileSync(mine, 'my own words');
      const file = path.join(t.dir, 'cache', 'w.bin');
      fs.mkdirSync(path.dirname(file));
      fs.symlinkSync(mine, `${file}.part`);
      expect(await refusal(download(`${base}/plant`, file, opts))).toBe(`${file}.part: a symbolic link where Tim writes its download; Tim never writes through a link: remove it and run again`);
      fs.rmSync(`${file}.part`);
      // Planted while the request is on its way, after the first check.
      onPlant = () => fs.symlinkSync(mine, `${file}.part`);
      expect(await refusal(download(`${base}/plant`, file, opts))).toMatch(/w\.bin\.part: a symbolic link where Tim writes its download/);
      expect(fs.readFileSync(mine, 'utf8')).toBe('my own words');
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      onPlant = () => undefined;
      t.cleanup();
    }
  });

  it('two fetches of one file at once: one downloads, the other waits and finds the verified file in place', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.bin');
      requests = 0;
      const [a, b] = await Promise.all([download(`${base}/slow`, file, { ...opts, timeoutS: 5 }), download(`${base}/slow`, file, { ...opts, timeoutS: 5 })]);
      expect(requests).toBe(1);
      expect([a.sha256, b.sha256]).toEqual([sha, sha]);
      expect(createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(sha);
      expect(fs.readdirSync(t.dir)).toEqual(['w.bin']);
    } finally {
      t.cleanup();
    }
  });

  it('a lock held by a running process stops the fetch naming it; a stale one is taken over', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.bin');
      const owner = { pid: process.pid, hostname: os.hostname(), started: '2026-12-06T10:00:00Z' };
      fs.writeFileSync(lockFileOf(file), JSON.stringify(owner));
      expect(await refusal(download(`${base}/plain`, file, { ...opts, lockWaitMs: 300 }))).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: in use by another Tim process \\(pid ${process.pid} on `));
      fs.writeFileSync(lockFileOf(file), JSON.stringify({ ...owner, pid: 2 ** 22 + 17 }));
      await download(`${base}/plain`, file, opts);
      expect(fs.readFileSync(file).equals(body)).toBe(true);
      expect(fs.existsSync(lockFileOf(file))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
