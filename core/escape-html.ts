// Text put into HTML: search's highlights and the server-rendered pages. Covers element text and
// double-quoted attributes, the only places the project puts text.

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
