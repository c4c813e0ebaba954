import * as fs from 'fs';
import * as path from 'path';

/** A Markdown file of the repository, by its path relative to the repository root. */
export interface DocFile {
  file: string;
  text: string;
}

/** Where something was found: the doc's repository-relative path and its 1-based line. */
export interface Located {
  file: string;
  line: number;
}

/** A fenced code block: its info string (`sh`, `yaml`, ...) and its lines, the first at `line`. */
export interface FencedBlock extends Located {
  info: string;
  lines: string[];
}

/** An inline code span, line breaks inside it read as spaces (as Markdown renders them). */
export interface CodeSpan extends Located {
  code: string;
}

/** The target of an inline link `[text](target)` outside code. */
export interface Link extends Located {
  target: string;
}

export interface ParsedDoc {
  blocks: FencedBlock[];
  spans: CodeSpan[];
  links: Link[];
  /** The anchors GitHub gives the doc's headings. */
  anchors: Set<string>;
}

/** README.md and every guide in docs/, as the repository holds them. */
export function readDocs(root: string): DocFile[] {
  const guides = fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...guides].map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));
}

/** The anchor GitHub derives from a heading: lower case, punctuation dropped, each space a hyphen. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^#{1,6}\s+(.*?)\s*#*\s*$/;
const SPAN = /(`+)([\s\S]*?[^`])\1(?!`)/g;
const LINK = /\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

/** Splits a doc into fenced blocks, code spans, links and heading anchors. */
export function parseMarkdown(doc: DocFile): ParsedDoc {
  const parsed: ParsedDoc = { blocks: [], spans: [], links: [], anchors: new Set() };
  const anchorCounts = new Map<string, number>();
  const lines = doc.text.split('\n');
  let paragraph: { start: number; lines: string[] } | undefined;
  const endParagraph = (): void => {
    if (paragraph) prose(doc.file, paragraph.start, paragraph.lines.join('\n'), parsed);
    paragraph = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const marker = fence[2] as string;
      const block: FencedBlock = { file: doc.file, line: i + 2, info: fence[3] ?? '', lines: [] };
      for (i++; i < lines.length && !(lines[i] as string).trim().startsWith(marker); i++) block.lines.push(lines[i] as string);
      parsed.blocks.push(block);
      continue;
    }
    if (line.trim() === '') {
      endParagraph();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      const base = headingAnchor(heading[1] as string);
      const seen = anchorCounts.get(base) ?? 0;
      anchorCounts.set(base, seen + 1);
      parsed.anchors.add(seen === 0 ? base : `${base}-${seen}`);
    }
    paragraph ??= { start: i + 1, lines: [] };
    paragraph.lines.push(line);
  }
  endParagraph();
  return parsed;
}

/** The code spans of a paragraph, then its links once the spans are blanked out. */
function prose(file: string, start: number, text: string, into: ParsedDoc): void {
  const lineAt = (index: number): number => start + (text.slice(0, index).match(/\n/g)?.length ?? 0);
  let blanked = '';
  let last = 0;
  for (const m of text.matchAll(SPAN)) {
    into.spans.push({ file, line: lineAt(m.index), code: (m[2] as string).replace(/\n\s*/g, ' ').trim() });
    blanked += text.slice(last, m.index) + m[0].replace(/[^\n]/g, ' ');
    last = m.index + m[0].length;
  }
  blanked += text.slice(last);
  for (const m of blanked.matchAll(LINK)) into.links.push({ file, line: lineAt(m.index), target: m[1] as string });
}
