import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { tmpDir } from '../../support/tmp';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');

/** Starts `tim demo` with these arguments and returns its stderr once it prints its address, then stops it. */
function demoUntilListening(args: string[]): Promise<{ stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', ...args], { env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tim demo did not start\n${stderr}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^http:\/\//m.test(stdout)) child.kill('SIGTERM');
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ stderr });
    });
  });
}

describe('tim demo --backend', () => {
  let t: ReturnType<typeof tmpDir>;
  beforeAll(() => (t = tmpDir('tim-demo-backend-')));
  afterAll(() => t.cleanup());

  it.each(['cpu', 'wasm'])('serves on the backend it is given (%s)', async (backend) => {
    const r = await demoUntilListening(['--runs', t.dir, '--backend', backend]);
    expect(r.stderr).toMatch(new RegExp(`backend: ${backend} \\(${backend}\\) — forced by --backend`));
  }, 90_000);

  it('refuses a backend that does not exist, naming the choices', () => {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--runs', t.dir, '--backend', 'tpu'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/backend/);
    expect(r.stderr).toMatch(/webgpu/);
  });
});
