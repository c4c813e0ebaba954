import { timCli } from '../../../src/cli/main';

/** What one `tim` command accepts, as its `--help` lists it. */
export interface CommandSpec {
  path: string[];
  /** Long option names, without the dashes. */
  options: Set<string>;
  /** One-letter aliases (`c` for `-c, --config`). */
  aliases: Set<string>;
  /** The commands below this one (`fetch`, `import`, `info` below `weights`). */
  subcommands: string[];
}

/** `tim PATH --help`, through the CLI's own yargs definition, without running any command. */
export function timHelp(path: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    void timCli([]).parse([...path, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)));
  });
}

const OPTION_LINE = /^ {2}(?:-(\w), | {4})?--([\w-]+)/;

/** Reads a command's options and subcommands from its help text. */
export function parseHelp(path: readonly string[], help: string): CommandSpec {
  const usage = ['tim', ...path].join(' ');
  if (!help.startsWith(usage)) throw new Error(`tim ${path.join(' ')} --help printed no usage line for '${usage}':\n${help}`);
  const spec: CommandSpec = { path: [...path], options: new Set(), aliases: new Set(), subcommands: [] };
  let section = '';
  for (const line of help.split('\n')) {
    if (/^\S.*:$/.test(line)) section = line;
    else if (section === 'Commands:' && line.startsWith(`  ${usage} `)) {
      const name = line.slice(usage.length + 3).split(/\s/)[0] ?? '';
      if (name !== '' && !name.startsWith('<') && !name.startsWith('[')) spec.subcommands.push(name);
    } else if (section === 'Options:') {
      const m = OPTION_LINE.exec(line);
      if (m) {
        spec.options.add(m[2] as string);
        if (m[1]) spec.aliases.add(m[1]);
      }
    }
  }
  return spec;
}

/** Command specs by path, each read once from `--help`. */
export class CliSpecs {
  private readonly specs = new Map<string, Promise<CommandSpec>>();

  of(path: readonly string[]): Promise<CommandSpec> {
    const key = path.join(' ');
    let spec = this.specs.get(key);
    if (!spec) {
      spec = timHelp(path).then((help) => parseHelp(path, help));
      this.specs.set(key, spec);
    }
    return spec;
  }

  /** Every command path whose help has been read. */
  paths(): string[] {
    return [...this.specs.keys()];
  }
}
