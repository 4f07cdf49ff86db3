// The Google geocoding adapter with Google's real client library against a local HTTP server that
// stands in for Google's Geocoding API (GET /maps/api/geocode/json), written from the API's
// reference: the key and address as query parameters, a components filter, answers with a
// `status` field (OK, ZERO_RESULTS, REQUEST_DENIED, OVER_QUERY_LIMIT, ...) and HTTP errors.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeocodingRefused, GeocodingUnavailable } from './geocoder.js';
import { GoogleGeocoder } from './google-geocoder.js';

const KEY = 'AIzaSy-test-key-0123456789';

interface Received { address: string | null; key: string | null; components: string | null }

let server: Server;
let apiUrl: string;
const received: Received[] = [];
/** Answers to give before the normal one, in order: an HTTP status or a Geocoding API status. */
let script: ({ http: number } | { status: string })[] = [];

const BOSTON_CITY_HALL = {
  formatted_address: '1 City Hall Square, Boston, MA 02201, USA',
  geometry: { location: { lat: 42.3604, lng: -71.0580 }, location_type: 'ROOFTOP', viewport: { northeast: { lat: 42.3617, lng: -71.0566 }, southwest: { lat: 42.359, lng: -71.0593 } } },
  place_id: 'ChIJ-test-boston-city-hall', types: ['street_address'],
  address_components: [{ long_name: 'Boston', short_name: 'Boston', types: ['locality', 'political'] }],
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://localhost');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== '/maps/api/geocode/json') return reply(404, { error: 'not found' });
    const params = { address: url.searchParams.get('address'), key: url.searchParams.get('key'), components: url.searchParams.get('components') };
    received.push(params);
    const next = script.shift();
    if (next && 'http' in next) return reply(next.http, { error_message: 'Backend Error', status: 'UNKNOWN_ERROR' });
    if (next) return reply(200, { results: [], status: next.status, ...(next.status === 'OVER_QUERY_LIMIT' && { error_message: 'You have exceeded your rate-limit for this API.' }) });
    if (params.key !== KEY) return reply(200, { results: [], status: 'REQUEST_DENIED', error_message: 'The provided API key is invalid. ' });
    if (!params.address && !params.components) return reply(200, { results: [], status: 'INVALID_REQUEST' });
    if (params.address === '1 City Hall Square, Boston' && (!params.components || params.components === 'country:US')) return reply(200, { results: [BOSTON_CITY_HALL], status: 'OK' });
    return reply(200, { results: [], status: 'ZERO_RESULTS' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  apiUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  script = [];
});

const geocoder = (apiKey = KEY) => new GoogleGeocoder({ apiKey, apiUrl, timeoutMs: 2_000, attempts: 3, backoffMs: 5 });

describe('geocoding addresses through Google (a local stand-in)', () => {
  it('gives the point of an address, asking with the key and the country filter', async () => {
    expect(await geocoder().geocode('1 City Hall Square, Boston', { country: 'us' })).toEqual({
      formattedAddress: '1 City Hall Square, Boston, MA 02201, USA', latitude: 42.3604, longitude: -71.058, placeId: 'ChIJ-test-boston-city-hall',
    });
    expect(received).toEqual([{ address: '1 City Hall Square, Boston', key: KEY, components: 'country:US' }]);
  });

  it('answers undefined for an address Google does not find', async () => {
    expect(await geocoder().geocode('Nowhere Lane 99')).toBeUndefined();
  });

  it('refuses a bad key at once, without retrying and without the key in the error', async () => {
    const error = await geocoder('AIzaSy-wrong-key').geocode('1 City Hall Square, Boston').catch((e: unknown) => e) as Error;
    expect(error).toBeInstanceOf(GeocodingRefused);
    expect(error.message).toBe('Google geocoding answered REQUEST_DENIED: The provided API key is invalid. ');
    expect(error.message).not.toContain('AIzaSy');
    expect(received).toHaveLength(1);
  });

  it('retries a 5xx and OVER_QUERY_LIMIT with backoff, then answers', async () => {
    script = [{ http: 503 }, { status: 'OVER_QUERY_LIMIT' }];
    expect(await geocoder().geocode('1 City Hall Square, Boston')).toMatchObject({ placeId: 'ChIJ-test-boston-city-hall' });
    expect(received).toHaveLength(3);
  });

  it('gives up after its attempts with a retriable error naming the last answer', async () => {
    script = [{ http: 500 }, { http: 502 }, { http: 503 }];
    const error = await geocoder().geocode('1 City Hall Square, Boston').catch((e: unknown) => e) as Error;
    expect(error).toBeInstanceOf(GeocodingUnavailable);
    expect(error.message).toBe('Google geocoding answered HTTP 503: Backend Error');
    expect(received).toHaveLength(3);
  });

  it('gives up on an answer that does not come within its timeout, as unavailable', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = new GoogleGeocoder({ apiKey: KEY, apiUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, timeoutMs: 200, attempts: 1 });
      const error = await slow.geocode('1 City Hall Square, Boston').catch((e: unknown) => e) as Error;
      expect(error).toBeInstanceOf(GeocodingUnavailable);
      expect(error.message).toMatch(/^Google geocoding unreachable \(/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('says an unreachable service is unavailable, not refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = new GoogleGeocoder({ apiKey: KEY, apiUrl: `http://127.0.0.1:${port}`, attempts: 2, backoffMs: 5 });
    const error = await unreachable.geocode('1 City Hall Square, Boston').catch((e: unknown) => e) as Error;
    expect(error).toBeInstanceOf(GeocodingUnavailable);
    expect(error.message).toMatch(/^Google geocoding unreachable \(ECONNREFUSED\)$/);
    expect(error.message).not.toContain(KEY);
  });
});
