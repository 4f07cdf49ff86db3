// The Elasticsearch client as search and the saved-search percolator open it, and how both read
// its failures: a cluster unreachable, timing out or overloaded is worth retrying, the rest is not.
import { Client, errors } from '@elastic/elasticsearch';
import { ServiceUnavailable } from '../../../core/errors.js';

export interface ElasticsearchConnection {
  url: string;
  username?: string;
  password?: string;
  apiKey?: string;
}

export function openClient(options: ElasticsearchConnection): Client {
  const auth = options.apiKey ? { apiKey: options.apiKey } : options.username ? { username: options.username, password: options.password ?? '' } : undefined;
  return new Client({ node: options.url, auth, requestTimeout: 30_000, maxRetries: 2 });
}

/** For `.catch()`: rethrows a retriable failure as ServiceUnavailable saying `what` failed, anything else as it is. */
export function retriableAs(what: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || (error instanceof errors.ResponseError && [429, 502, 503, 504].includes(error.statusCode ?? 0))) {
      throw new ServiceUnavailable(`${what}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  };
}

/** The type Elasticsearch gave a refused request ("resource_already_exists_exception"), if it was one. */
export function errorType(error: unknown): string | undefined {
  return error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } } | undefined)?.error?.type : undefined;
}
