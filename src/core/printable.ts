/**
 * Text from user data (class names, file names, paths, URLs) as it may be shown on a terminal:
 * C0 and C1 control characters, DEL and the Unicode line separators and bidirectional
 * overrides are written as escapes (`\x1b`, `\u202e`), so a name can neither move the cursor,
 * clear the screen, set the window title, nor make text read in another order than it is.
 * A backslash is doubled, so two different names never print the same.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether the text holds a character that `printable` would escape, other than a backslash. */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

// C0, DEL, C1; U+2028/2029 (line and paragraph separators); U+200E/200F, U+202A–202E and U+2066–2069 (direction marks, embeddings, overrides and isolates).
const CONTROL_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNPRINTABLE = new RegExp(`[\\\\${CONTROL_CLASS}]`, 'g');
const CONTROL = new RegExp(`[${CONTROL_CLASS}]`);
