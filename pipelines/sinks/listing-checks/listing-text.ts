// Listing text as the checks compare it: lower case, accents and punctuation gone, one space
// between words, so "iPhone 12 — like NEW!" and "iphone 12 like new" are the same text.
import { createHash } from 'node:crypto';

export function normaliseText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** The hash of a listing's normalised name and description: equal for the same text, whoever wrote it. */
export function listingTextHash(name: string, description: string): string {
  return createHash('sha256').update(`${normaliseText(name)}\n${normaliseText(description)}`).digest('hex');
}

/** The banned words or phrases found in the text, each matched as whole words. */
export function bannedWordsIn(text: string, words: readonly string[]): string[] {
  const padded = ` ${normaliseText(text)} `;
  return words.filter((word) => {
    const needle = normaliseText(word);
    return needle !== '' && padded.includes(` ${needle} `);
  });
}
