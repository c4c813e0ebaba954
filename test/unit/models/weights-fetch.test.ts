import { execFile } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { download } from '../../../src/io/download';
import { fetchWeights, hashPrefixOfFileName, resolvePretrained } from '../../../src/models/weights/fetch';
import { tmpDir } from '../../support/tmp';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
jest.setTimeout(60_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = randomBytes(300_000);
const good = `good-${sha(body).slice(0, 8)}.bin`;
const wrong = `wrong-${'0'.repeat(8)}.bin`;
const hubHash = sha(body);

interface Seen {
  url: string;
  range: string | undefined;
}
let server: http.Server;
let base = '';
let seen: Seen[] = [];
let truncateNext = false;

function sendFile(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range?.[1]) {
    const from = Number(range[1]);
    if (from >= data.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
      return;
    }
    res.writeHead(206, { 'Content-Length': data.length - from, 'Content-Range': `bytes ${from}-${data.length - 1}/${data.length}` });
    res.end(data.subarray(from));
    return;
  }
  res.writeHead(200, { 'Content-Length': data.length });
  if (truncateNext) {
    truncateNext = false;
    // Promise the whole file, send a third of it, then drop the connection.
    res.write(data.subarray(0, 100_000), () => res.socket?.destroy());
    return;
  }
  res.end(data);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push({ url, range: req.headers.range });
    const name = path.posix.basename(url);
    if (url.startsWith('/redirect/')) {
      res.writeHead(302, { Location: `/files/${name}` }).end();
    } else if (url === '/mirror/timm/resnet50.a1_in1k/resolve/main/model.safetensors') {
      res.writeHead(302, { Location: '/cdn/blob', 'X-Linked-Etag': `"${hubHash}"` }).end();
    } else if (url === '/cdn/blob' || url === `/files/${good}` || url === `/files/${wrong}` || url === '/files/plain.bin' || url === '/mirror/resnet50-0676ba61.pth') {
      sendFile(req, res, body);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  truncateNext = false;
});

const withEnv = async <T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> => {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
};

describe('weights fetch', () => {
  it('reads the hash prefix from torch.hub-style file names', () => {
    expect(hashPrefixOfFileName('resnet50-0676ba61.pth')).toBe('0676ba61');
    expect(hashPrefixOfFileName('efficientnet_b0_rwightman-7f5810bc.pth')).toBe('7f5810bc');
    expect(hashPrefixOfFileName('model.safetensors')).toBeUndefined();
  });

  it('downloads a good file, checked against the prefix in its name', async () => {
    const t = tmpDir();
    try {
      const r = await fetchWeights({ target: `${base}/files/${good}`, out: t.dir, progress: false });
      expect(r.file).toBe(path.join(t.dir, good));
      expect(fs.readFileSync(r.file).equals(body)).toBe(true);
      expect(r.cached).toBe(false);
      expect(fs.readdirSync(t.dir)).toEqual([good]);
      // A second fetch checks the file on disk and downloads nothing.
      seen = [];
      const again = await fetchWeights({ target: `${base}/files/${good}`, out: t.dir, progress: false });
      expect(again.cached).toBe(true);
      expect(seen).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('refuses a file whose hash does not match, and leaves nothing behind', async () => {
    const t = tmpDir();
    try {
      await expect(fetchWeights({ target: `${base}/files/${wrong}`, out: t.dir, progress: false })).rejects.toThrow(/SHA-256 [0-9a-f]{64} does not match the expected 00000000/);
      await expect(fetchWeights({ target: `${base}/files/plain.bin`, out: t.dir, progress: false, sha256: 'abcdef12' })).rejects.toThrow(/does not match the expected abcdef12/);
      expect(fs.readdirSync(t.dir)).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('asks for --sha256 when nothing says what the hash should be, before downloading', async () => {
    const t = tmpDir();
    try {
      await expect(fetchWeights({ target: `${base}/files/plain.bin`, out: t.dir, progress: false })).rejects.toThrow(/no SHA-256 to check.*--sha256/);
      expect(fs.readdirSync(t.dir)).toEqual([]);
      const r = await fetchWeights({ target: `${base}/files/plain.bin`, out: t.dir, progress: false, sha256: sha(body) });
      expect(fs.readFileSync(r.file).equals(body)).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('resumes a truncated transfer with a Range request', async () => {
    const t = tmpDir();
    try {
      truncateNext = true;
      const file = path.join(t.dir, good);
      const r = await download(`${base}/files/${good}`, file, { sha256: sha(body).slice(0, 8), progress: false });
      expect(fs.readFileSync(file).equals(body)).toBe(true);
      expect(r.sha256).toBe(sha(body));
      const ranges = seen.map((s) => s.range);
      expect(ranges[0]).toBeUndefined();
      expect(ranges.length).toBeGreaterThanOrEqual(2);
      expect(ranges[ranges.length - 1]).toMatch(/^bytes=[1-9]\d*-$/);
      expect(fs.existsSync(`${file}.part`)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('continues a part file left by an interrupted run', async () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, good);
      fs.writeFileSync(`${file}.part`, body.subarray(0, 123_456));
      const r = await download(`${base}/files/${good}`, file, { sha256: sha(body), progress: false });
      expect(r.resumedFrom).toBe(123_456);
      expect(seen.map((s) => s.range)).toEqual(['bytes=123456-']);
      expect(fs.readFileSync(file).equals(body)).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('follows a redirect', async () => {
    const t = tmpDir();
    try {
      const r = await fetchWeights({ target: `${base}/redirect/${good}`, out: t.dir, progress: false });
      expect(seen.map((s) => s.url)).toEqual([`/redirect/${good}`, `/files/${good}`]);
      expect(fs.readFileSync(r.file).equals(body)).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('says what the server answered for a 404', async () => {
    const t = tmpDir();
    try {
      await expect(fetchWeights({ target: `${base}/files/missing-12345678.pth`, out: t.dir, progress: false })).rejects.toThrow(/missing-12345678\.pth: the server answered 404/);
      expect(fs.readdirSync(t.dir)).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('TIM_WEIGHTS_MIRROR keeps the file name and checks the full known hash', async () => {
    const t = tmpDir();
    try {
      await withEnv({ TIM_WEIGHTS_MIRROR: `${base}/mirror/`, TIM_HOME: t.dir }, async () => {
        await expect(fetchWeights({ target: 'resnet50', progress: false })).rejects.toThrow(/does not match the expected 0676ba61b6795bbe/);
      });
      expect(seen.map((s) => s.url)).toEqual(['/mirror/resnet50-0676ba61.pth']);
    } finally {
      t.cleanup();
    }
  });

  it('model.pretrained: timm resolves through the cache, checked against the hub’s stated hash', async () => {
    const t = tmpDir();
    try {
      const file = await withEnv({ TIM_WEIGHTS_MIRROR: `${base}/mirror`, TIM_HOME: t.dir }, () => resolvePretrained('resnet50', 'timm'));
      expect(file).toBe(path.join(t.dir, 'weights', 'resnet50.a1_in1k.safetensors'));
      expect(fs.readFileSync(file).equals(body)).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('offline, says which URL to download by hand and where to put it', async () => {
    const t = tmpDir();
    try {
      // A port nothing listens on: bind one, note it, close it.
      const probe = http.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const url = `http://127.0.0.1:${port}/models`;
      await withEnv({ TIM_WEIGHTS_MIRROR: url, TIM_HOME: t.dir }, async () => {
        await expect(resolvePretrained('convnext_tiny', 'torchvision')).rejects.toThrow(
          `cannot reach 127.0.0.1:${port} (ECONNREFUSED): download ${url}/convnext_tiny-983f1562.pth by hand and put it at ${path.join(t.dir, 'weights', 'convnext_tiny-983f1562.pth')}`,
        );
      });
    } finally {
      t.cleanup();
    }
  });

  it('a missing weight file names the fetch command and the file it writes', async () => {
    await withEnv({ TIM_HOME: undefined }, async () => {
      await expect(resolvePretrained('efficientnet_b0', 'weights/nothing-here.pth')).rejects.toThrow(
        "'tim weights fetch efficientnet_b0' (writes weights/efficientnet_b0_rwightman-7f5810bc.pth)",
      );
      await expect(resolvePretrained('tiny_cnn', 'torchvision')).rejects.toThrow(/no known torchvision weights for 'tiny_cnn'/);
    });
  });

  it('the CLI prints the file and its hash as JSON', async () => {
    const t = tmpDir();
    try {
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'weights', 'fetch', `${base}/files/${good}`, '--out', t.dir], { env: { ...process.env, CI: '1' } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(out.stderr).not.toMatch(/^tim:/m);
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ file: path.join(t.dir, good), sha256: sha(body), bytes: body.length, cached: false });
    } finally {
      t.cleanup();
    }
  });
});
