// Synonym groups for both search engines: a query word finds listings using any word of its group
// ("couch" finds "sofa"). Written as a setting so marketplaces in other languages bring their own.

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

/**
 * Reads the SEARCH_SYNONYMS form: groups separated by ";", words in a group by ",", e.g.
 * "couch,sofa;tv,television". Returns a reason instead of groups when the text is malformed.
 */
export function parseSynonyms(text: string): SynonymGroups | { error: string } {
  const groups: string[][] = [];
  for (const raw of text.split(';')) {
    if (!raw.trim()) continue;
    const words = raw.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
    if (words.length < 2) return { error: `"${raw.trim()}" has fewer than two words; write groups as "couch,sofa;tv,television"` };
    const bad = words.find((w) => !/^[\p{L}\p{N}]+$/u.test(w));
    if (bad) return { error: `"${bad}" is not a single word (letters and digits only)` };
    groups.push(words);
  }
  return groups;
}
