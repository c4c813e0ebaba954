/**
 * The unit suite must run on a machine with only Node: its references are committed goldens
 * (test/fixtures/golden/). A unit test that starts a Python interpreter fails here, loudly,
 * whether or not one is installed; and child processes that honour TIM_PYTHON get one that does
 * not exist.
 */
process.env.TIM_PYTHON = '/nonexistent/python-is-not-for-unit-tests';

const PYTHON = /(^|[\s/])python[\d.]*(\s|$)/;

function refuse(name: string, command: unknown): void {
  if (typeof command === 'string' && PYTHON.test(command)) {
    throw new Error(`unit tests need only Node, but one ran ${name}('${command}'): read a golden from test/fixtures/golden/ instead (see test/support/goldens/registry.ts)`);
  }
}

const guarded = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync'] as const;
// The module object itself (an `import * as` namespace would be a copy).
const mutable = require('child_process') as Record<string, (...args: unknown[]) => unknown>;
for (const name of guarded) {
  const original = mutable[name]!;
  mutable[name] = function (this: unknown, command: unknown, ...rest: unknown[]) {
    refuse(name, command);
    return original.call(this, command, ...rest);
  };
}
