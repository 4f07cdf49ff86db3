// Highlights for a hit: the words whose stem the query matched wrapped in <mark>, the rest
// HTML-escaped; a long description is cut to a window of words around the first match.
import { escapeHtml } from '../../../../core/escape-html.js';
import { words } from '../query-terms.js';

/** Letters and digits, with any combining marks, as the analyser's words are cut from the text. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const SNIPPET_WORDS = 24;
/** Words shown before the first match when the description is cut. */
const LEAD_WORDS = 4;

interface Token {
  start: number;
  end: number;
  matched: boolean;
}

function tokens(text: string, matches: (word: string) => boolean): Token[] {
  const found: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    found.push({ start: m.index!, end: m.index! + m[0].length, matched: words(m[0]).some(matches) });
  }
  return found;
}

function render(text: string, list: Token[], from: number, to: number): string {
  let out = '';
  let at = from;
  for (const token of list) {
    if (token.start < from || token.end > to) continue;
    if (!token.matched) continue;
    out += `${escapeHtml(text.slice(at, token.start))}<mark>${escapeHtml(text.slice(token.start, token.end))}</mark>`;
    at = token.end;
  }
  return out + escapeHtml(text.slice(at, to));
}

/** The whole text marked, or undefined when no word of it matched. */
export function highlightAll(text: string, matches: (word: string) => boolean): string | undefined {
  const list = tokens(text, matches);
  if (!list.some((t) => t.matched)) return undefined;
  return render(text, list, 0, text.length);
}

/** Up to SNIPPET_WORDS words around the first match, "…" where text was cut; undefined without a match. */
export function snippet(text: string, matches: (word: string) => boolean): string | undefined {
  const list = tokens(text, matches);
  const first = list.findIndex((t) => t.matched);
  if (first < 0) return undefined;
  if (list.length <= SNIPPET_WORDS) return render(text, list, 0, text.length);
  const start = Math.max(0, Math.min(first - LEAD_WORDS, list.length - SNIPPET_WORDS));
  const end = start + SNIPPET_WORDS;
  const from = start === 0 ? 0 : list[start]!.start;
  const to = end === list.length ? text.length : list[end - 1]!.end;
  return `${start === 0 ? '' : '…'}${render(text, list.slice(start, end), from, to)}${end === list.length ? '' : '…'}`;
}
