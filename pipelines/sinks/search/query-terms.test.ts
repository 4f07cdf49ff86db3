// Words as the index cuts them: plain ASCII takes a shorter path than Unicode text, with the same words.
import { describe, expect, it } from 'vitest';
import { words } from './query-terms.js';

describe('words', () => {
  it('cuts plain ASCII on anything but letters and digits, in lower case', () => {
    expect(words('Mountain BIKE, 26" wheels -- 2x  gears!')).toEqual(['mountain', 'bike', '26', 'wheels', '2x', 'gears']);
    expect(words('  ')).toEqual([]);
  });

  it('folds diacritics and keeps letters of any script', () => {
    expect(words('Café crème, Ölfarbe: Łódź — 東京')).toEqual(['cafe', 'creme', 'olfarbe', 'łodz', '東京']);
  });

  it('gives the same words for ASCII text whether or not a non-ASCII character sits beside it', () => {
    const text = 'Vintage Road-Bike (58cm), Shimano 105; collect from N1 9GU';
    expect([...words(`${text} é`)].slice(0, -1)).toEqual(words(text));
  });

  it('never gives an empty word, whatever the text starts or ends with', () => {
    const pieces = ['', ' ', '  ', ',', '-- ', 'a', 'Bike', '26', 'é', 'Łódź', '東京', '\t', '!', 'x2'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % pieces.length;
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 1 + (i % 7) }, () => pieces[next()]).join('');
      const folded = /^[\x00-\x7f]*$/.test(text) ? text.toLowerCase() : text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
      expect(words(text)).toEqual(folded.split(/[^\p{L}\p{N}]+/u).filter(Boolean));
    }
  });
});
