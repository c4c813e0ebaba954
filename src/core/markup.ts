/** Text for HTML or SVG content and attribute values. */
export function escapeMarkup(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Text for a cell of a Markdown table: a `|` would end the cell. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
