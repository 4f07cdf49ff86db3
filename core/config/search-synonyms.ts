// SEARCH_SYNONYMS: the synonym groups both search engines apply to queries. Kept here (not with
// the search adapters) so the config stays below the pipelines; the adapters read the groups.
import type { SettingsReader } from './settings-reader.js';

/** Groups of words that mean the same thing; each word is a single lower-case term. */
export type SynonymGroups = readonly (readonly string[])[];

export const DEFAULT_SYNONYMS: SynonymGroups = [
  ['couch', 'sofa', 'settee'],
  ['tv', 'television'],
  ['bike', 'bicycle'],
  ['phone', 'smartphone', 'mobile'],
  ['laptop', 'notebook'],
  ['fridge', 'refrigerator'],
];

const FORM = 'write groups as "couch,sofa;tv,television", or "none" for no synonyms';

/**
 * Reads the SEARCH_SYNONYMS form: groups separated by ";", words in a group by ",", e.g.
 * "couch,sofa;tv,television"; "none" turns synonyms off. Returns a reason instead of groups when
 * the text is malformed.
 */
export function parseSynonyms(text: string): SynonymGroups | { error: string } {
  if (text.trim().toLowerCase() === 'none') return [];
  const groups: string[][] = [];
  for (const raw of text.split(';')) {
    if (!raw.trim()) continue;
    const words = raw.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
    if (words.length < 2) return { error: `"${raw.trim()}" has fewer than two words; ${FORM}` };
    const bad = words.find((w) => !/^[\p{L}\p{N}]+$/u.test(w));
    if (bad) return { error: `"${bad}" is not a single word (letters and digits only); ${FORM}` };
    groups.push(words);
  }
  if (groups.length === 0) return { error: `no groups found; ${FORM}` };
  return groups;
}

/** The groups SEARCH_SYNONYMS names, or the defaults when it is not set. */
export function readSearchSynonyms(r: SettingsReader): SynonymGroups {
  const text = r.optionalString('SEARCH_SYNONYMS');
  if (text === undefined) return DEFAULT_SYNONYMS;
  const parsed = parseSynonyms(text);
  if ('error' in parsed) {
    r.fail('SEARCH_SYNONYMS', parsed.error);
    return DEFAULT_SYNONYMS;
  }
  return parsed;
}
