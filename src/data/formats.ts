import * as fs from 'fs';

/** The image formats Tim reads, recognised by content (magic bytes), never by extension. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** The format a file's first bytes announce, or undefined when they announce none we read. */
export function sniffFormat(head: Uint8Array): ImageFormat | undefined {
  const b = (i: number): number => head[i] ?? -1;
  const ascii = (from: number, text: string): boolean =>
    [...text].every((ch, i) => b(from + i) === ch.charCodeAt(0));
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if ((ascii(0, 'II') && b(2) === 42 && b(3) === 0) || (ascii(0, 'MM') && b(2) === 0 && b(3) === 42)) return 'tiff';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  return undefined;
}

/** Reads the first bytes of a file (enough for every signature above). */
export function readHead(file: string, bytes = 16): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether a file is an image Tim reads: not empty, and its first bytes announce one of
 * IMAGE_FORMATS (whatever its name says). An unreadable file is not one.
 */
export function isImageFile(file: string): boolean {
  try {
    return fs.statSync(file).size > 0 && sniffFormat(readHead(file)) !== undefined;
  } catch {
    return false;
  }
}
