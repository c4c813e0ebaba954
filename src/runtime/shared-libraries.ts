import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What looking up shared libraries reads from the machine; tests give fakes. */
export interface LibraryHost {
  env: NodeJS.ProcessEnv;
  exists(file: string): boolean;
  /** Files in a folder (names only); [] when it does not exist. */
  list(dir: string): string[];
  /** `ldconfig -p` output, or '' where ldconfig is missing. */
  ldconfig(): string;
}

export const realLibraryHost: LibraryHost = {
  env: process.env,
  exists: (file) => fs.existsSync(file),
  list: (dir) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
  ldconfig: () => {
    for (const bin of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
      try {
        return execFileSync(bin, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        // next location: /sbin is often not on a user's PATH
      }
    }
    return '';
  },
};

const SYSTEM_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib'];

function ldLibraryPath(env: NodeJS.ProcessEnv): string[] {
  return (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
}

/** Where the dynamic linker would find a library by its soname (LD_LIBRARY_PATH, ldconfig's cache, the system folders). */
export function findSharedLibrary(soname: string, host: LibraryHost): string | undefined {
  for (const dir of ldLibraryPath(host.env)) {
    const file = path.join(dir, soname);
    if (host.exists(file)) return file;
  }
  const line = host
    .ldconfig()
    .split('\n')
    .find((l) => l.trim().startsWith(`${soname} `));
  const target = line?.split('=>')[1]?.trim();
  if (target) return target;
  return SYSTEM_LIB_DIRS.map((d) => path.join(d, soname)).find((f) => host.exists(f));
}

/** Every soname `lib<stem>.so.<version>` the linker can see, e.g. ['libcudart.so.12']. */
export function visibleVersions(stem: string, host: LibraryHost): string[] {
  const pattern = new RegExp(`^lib${stem}\\.so\\.[\\d.]+$`);
  const fromPath = ldLibraryPath(host.env).flatMap((d) => host.list(d));
  const fromCache = host
    .ldconfig()
    .split('\n')
    .map((l) => l.trim().split(' ')[0] ?? '');
  return [...new Set([...fromPath, ...fromCache].filter((n) => pattern.test(n)))].sort();
}
