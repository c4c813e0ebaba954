import { execFileSync, spawn, spawnSync } from 'child_process';

// The unit suite's setup forbids Python, so that `npm test` needs nothing but Node.
describe('the unit suite', () => {
  it('refuses to start a Python interpreter, however it is called', () => {
    expect(() => execFileSync('/usr/bin/python3', ['-c', 'print(1)'])).toThrow(/unit tests need only Node/);
    expect(() => spawnSync('python3', ['--version'])).toThrow(/unit tests need only Node/);
    expect(() => spawn('python', ['--version'])).toThrow(/unit tests need only Node/);
    expect(process.env.TIM_PYTHON).toMatch(/^\/nonexistent\//);
  });

  it('still starts other programs', () => {
    expect(spawnSync(process.execPath, ['-e', 'process.stdout.write("ok")'], { encoding: 'utf8' }).stdout).toBe('ok');
  });
});
