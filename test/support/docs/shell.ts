import type { Located, ParsedDoc } from './markdown';

/** One simple command of a doc (a pipeline or `&&` list gives several), split into words. */
export interface ShellCommand extends Located {
  /** The command as the doc writes it, for messages. */
  text: string;
  words: string[];
}

const SHELL_BLOCKS = new Set(['sh', 'bash', 'shell', 'console']);
/** Code spans in prose that are commands to run, rather than a flag or a key mentioned. */
const COMMAND_SPAN = /^(npm (run|test)\b|npx tim\b|tim [a-z]|node bin\/tim\.js\b)/;

/**
 * The commands a doc shows: every line of its sh/bash blocks (continuation lines joined,
 * comments dropped), every code span in its prose that starts like a command, and every span
 * that names one of `timCommands` with a flag (`sweep --emit`, `weights import --out`), read
 * as `tim ...`.
 */
export function shellCommands(doc: ParsedDoc, timCommands: readonly string[]): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of doc.blocks) {
    if (!SHELL_BLOCKS.has(block.info)) continue;
    for (let i = 0; i < block.lines.length; i++) {
      const line = block.line + i;
      let text = (block.lines[i] as string).trim();
      while (text.endsWith('\\') && i + 1 < block.lines.length) text = `${text.slice(0, -1)} ${(block.lines[++i] as string).trim()}`;
      commands.push(...simpleCommands(block.file, line, text, { pipes: true }));
    }
  }
  for (const span of doc.spans) {
    if (COMMAND_SPAN.test(span.code)) commands.push(...simpleCommands(span.file, span.line, span.code, { pipes: false }));
    else if (timCommands.includes(span.code.split(' ')[0] ?? '') && /(^| )--?[a-z]/.test(span.code)) {
      commands.push(...simpleCommands(span.file, span.line, `tim ${span.code}`, { pipes: false }));
    }
  }
  return commands;
}

const OPERATORS = ['&&', '||', ';', '|'];

/**
 * Splits a command line into simple commands at `&&`, `||`, `;` and (where `pipes`) `|`, and
 * each into words: quotes removed, `$(...)` kept whole, a `#` starting a word ends the line.
 * In prose a `|` separates alternatives (`--quantize float16|uint8`), so it stays in the word.
 */
export function simpleCommands(file: string, line: number, text: string, opts: { pipes: boolean }): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let from = 0;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (to: number): void => {
    endWord();
    if (words.length > 0) commands.push({ file, line, text: text.slice(from, to).trim(), words });
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const operator = OPERATORS.find((op) => text.startsWith(op, i) && (opts.pipes || op !== '|'));
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      const end = close < 0 ? text.length : close;
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '$' && text[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      word += text.slice(i, j + 1);
      inWord = true;
      i = j + 1;
    } else if (/\s/.test(c)) {
      endWord();
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (operator) {
      endCommand(i);
      i += operator.length;
      from = i;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endCommand(i);
  return commands;
}
