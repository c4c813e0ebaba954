import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { main } from '../../../src/cli/main';
import { describeFsError, shownPath } from '../../../src/core/fs-errors';
import { tmpDir } from '../../support/tmp';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

async function tim(...args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  });
  try {
    return { code: await main(args), lines };
  } finally {
    spy.mockRestore();
  }
}

describe("Node's file-system errors become one line naming the path", () => {
  const t = tmpDir();
  afterAll(() => t.cleanup());

  it('for the errors Node really throws', () => {
    const file = path.join(t.dir, 'f');
    fs.writeFileSync(file, 'x');
    expect(describeFsError(thrown(() => fs.mkdirSync(t.dir)))).toBe(`${t.dir}: already exists; expected a name not yet taken: remove it or choose another (EEXIST, mkdir)`);
    expect(describeFsError(thrown(() => fs.writeFileSync(path.join(file, 'x'), '')))).toBe(`${path.join(file, 'x')}: a part of this path is a file, not a folder; expected folders up to the last name (ENOTDIR, open)`);
    const long = path.join(t.dir, 'a'.repeat(300));
    expect(describeFsError(thrown(() => fs.writeFileSync(long, '')))).toMatch(/^.{60}….* \(\d+ characters\): name too long \(its longest part is 300 bytes, the whole path \d+\); expected at most 255 bytes per name and 4096 in all \(ENAMETOOLONG, open\)$/);
    expect(describeFsError(thrown(() => fs.writeFileSync(`${t.dir}/a\0b`, '')))).toBe(`'${t.dir}/a\\x00b': contains a NUL byte (\\x00); expected a path without one`);
    // EBUSY needs a mount point; this is the shape Node gives it.
    const busy = Object.assign(new Error("EBUSY: resource busy or locked, rmdir '/mnt/usb'"), { code: 'EBUSY', syscall: 'rmdir', path: '/mnt/usb', errno: -16 });
    expect(describeFsError(busy)).toBe('/mnt/usb: is busy (in use by another program, or a mount point); expected a file or folder Tim can replace: close what uses it, or choose another (EBUSY, rmdir)');
    expect(describeFsError(new TypeError('x is not a function'))).toBeUndefined();
  });

  it('shows control characters in a path escaped', () => {
    expect(shownPath('a\u001b[2Jb\n')).toBe('a\\x1b[2Jb\\x0a');
  });

  it('through the command line: one line, exit 1, no raw error code first (property)', async () => {
    const part = fc.oneof(fc.constant('a'.repeat(256)), fc.constant('x\0y'), fc.stringMatching(/^[a-z]{1,8}$/));
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 3 }).filter((ps) => ps.some((p) => p.length > 255 || p.includes('\0'))), async (parts) => {
        const out = path.join(t.dir, 'cli', ...parts);
        const r = await tim('data', 'synth', '--out', out);
        expect(r.code).toBe(1);
        expect(r.lines).toHaveLength(1);
        expect(r.lines[0]).toMatch(/^tim: .*(name too long|contains a NUL byte).*expected/);
        expect(r.lines[0]).not.toMatch(/^tim: (ENAMETOOLONG|The argument)/);
      }),
      { numRuns: 15 },
    );
  });
});
