/**
 * Text from user data (class names, file names, paths, URLs, tensor names) as it may be shown
 * on a terminal: C0 and C1 control characters, DEL, the Unicode line separators and the
 * bidirectional marks and overrides are written as escapes (`\x1b`, `\u202e`), so a name can
 * neither move the cursor, clear the screen, set the window title, nor make text read in
 * another order than it is. A backslash is doubled, so two different texts never print the
 * same.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/**
 * Text of several lines that Tim composed (a table, a summary, a message) with user data in
 * it, as it is written to the terminal: the same escapes as `printable`, but line breaks and
 * tabs stay and backslashes are left as they are (Markdown's `\|`).
 */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_IN_LINES, escape);
}

function escape(c: string): string {
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * JSON text safe on a terminal and still the same JSON: what JSON.stringify leaves raw among
 * the characters `printable` escapes (DEL, C1, separators, direction marks) as `\uXXXX`.
 */
export function printableJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether the text holds a character that `printable` would escape, other than a backslash. */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

// Outside C0: DEL and C1; U+2028/2029 (line and paragraph separators); U+200E/200F, U+202A–202E and U+2066–2069 (direction marks, embeddings, overrides and isolates).
const BEYOND_C0 = '\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`);
const UNPRINTABLE = new RegExp(`[\\\\\\u0000-\\u001f${BEYOND_C0}]`, 'g');
const UNPRINTABLE_IN_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${BEYOND_C0}]`, 'g');
const RAW_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'g');
