import { describe, expect, it } from 'vitest';
import { coordinatesOf, distanceKm, storedCoordinates } from './geo-distance.js';

describe('coordinatesOf', () => {
  it('reads degrees given as numbers or as numeric text', () => {
    expect(coordinatesOf({ latitude: 42.3601, longitude: -71.0589 })).toEqual({ latitude: 42.3601, longitude: -71.0589 });
    expect(coordinatesOf({ latitude: '42.3601', longitude: '-71.0589' })).toEqual({ latitude: 42.3601, longitude: -71.0589 });
  });

  it('keeps the edges of the globe', () => {
    expect(coordinatesOf({ latitude: -90, longitude: 180 })).toEqual({ latitude: -90, longitude: 180 });
    expect(coordinatesOf({ latitude: 0, longitude: 0 })).toEqual({ latitude: 0, longitude: 0 });
  });

  it.each([
    ['no fields', {}],
    ['nulls', { latitude: null, longitude: null }],
    ['only a latitude', { latitude: 42.36, longitude: null }],
    ['only a longitude', { longitude: -71.05 }],
    ['a latitude past a pole', { latitude: 90.5, longitude: 0 }],
    ['a longitude past the antimeridian', { latitude: 0, longitude: -180.5 }],
    ['text that is no number', { latitude: 'north', longitude: '71' }],
    ['empty text', { latitude: '', longitude: '' }],
    ['infinity', { latitude: Infinity, longitude: 0 }],
    ['not a number', { latitude: Number.NaN, longitude: 0 }],
  ])('reads no place from %s', (_what, doc) => {
    expect(coordinatesOf(doc)).toBeNull();
    expect(storedCoordinates(doc)).toEqual({ latitude: null, longitude: null });
  });
});

describe('distanceKm', () => {
  it('measures Boston to Cambridge at some 4.5 km, the same both ways', () => {
    const boston = { latitude: 42.3601, longitude: -71.0589 };
    const cambridge = { latitude: 42.3736, longitude: -71.1097 };
    expect(distanceKm(boston, cambridge)).toBeCloseTo(4.4, 1);
    expect(distanceKm(cambridge, boston)).toBe(distanceKm(boston, cambridge));
  });
});
