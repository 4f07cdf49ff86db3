// How search and the percolator read Elasticsearch's failures, against a real cluster
// (ELASTICSEARCH_URL) and a port nothing listens on.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailable } from '../../../core/errors.js';
import { errorType, openClient, retriableAs } from './elasticsearch-client.js';

describe('Elasticsearch failures', () => {
  it('says an unreachable cluster is worth retrying, naming what failed', async () => {
    // Port 9 (discard) has no listener on loopback here, so the connection is refused at once.
    const client = openClient({ url: 'http://127.0.0.1:9' });
    try {
      const failure = await client.count({ index: 'listings' }).catch(retriableAs('Elasticsearch (saved searches)')).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ServiceUnavailable);
      expect((failure as ServiceUnavailable).retriable).toBe(true);
      expect((failure as Error).message).toMatch(/^Elasticsearch \(saved searches\): /);
    } finally {
      await client.close();
    }
  });

  it.runIf(process.env.ELASTICSEARCH_URL)('passes a refused request on as it is, with the type Elasticsearch gave it', async () => {
    const client = openClient({ url: process.env.ELASTICSEARCH_URL! });
    try {
      const failure = await client.count({ index: `missing-${randomBytes(4).toString('hex')}` }).catch(retriableAs('Elasticsearch')).catch((error: unknown) => error);
      expect(failure).not.toBeInstanceOf(ServiceUnavailable);
      expect(errorType(failure)).toBe('index_not_found_exception');
      expect(errorType(new Error('not from Elasticsearch'))).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
