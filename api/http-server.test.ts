import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/log.js';
import { compileValidators, createHttpServer } from './http-server.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function server(): FastifyInstance {
  app = createHttpServer({ log: silentLogger(), server: 'test' });
  return app;
}

describe('route validation, compiled at first use', () => {
  it('coerces query strings, keeps JSON bodies strict and fills defaults, as compiled at start', async () => {
    const routes = server();
    routes.post('/items', {
      schema: {
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, default: 20 } }, additionalProperties: false },
        body: { type: 'object', required: ['price'], properties: { price: { type: 'integer' } }, additionalProperties: false },
      },
    }, async (request) => ({ query: request.query, body: request.body }));
    const ok = await routes.inject({ method: 'POST', url: '/items?limit=5', payload: { price: 12 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ query: { limit: 5 }, body: { price: 12 } });
    const defaulted = await routes.inject({ method: 'POST', url: '/items', payload: { price: 12 } });
    expect(defaulted.json()).toMatchObject({ query: { limit: 20 } });
    const textPrice = await routes.inject({ method: 'POST', url: '/items', payload: { price: '12' } });
    expect(textPrice.statusCode).toBe(400);
    const badLimit = await routes.inject({ method: 'POST', url: '/items?limit=0', payload: { price: 12 } });
    expect(badLimit.statusCode).toBe(400);
  });

  it('coerces a root value (a path parameter object) through Ajv\'s parent data', async () => {
    const routes = server();
    routes.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } }, async (request) => request.params);
    const response = await routes.inject({ method: 'GET', url: '/items/42' });
    expect(response.json()).toEqual({ id: 42 });
  });

  it('compiles what no request has used when asked, and reports a schema Ajv refuses', async () => {
    const routes = server();
    routes.get('/broken', { schema: { querystring: { type: 'object', properties: { n: { type: 'no-such-type' } } } } }, async () => 'never');
    routes.get('/fine', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (request) => request.query);
    await routes.ready();
    await expect(compileValidators()).rejects.toThrow(/no-such-type|type/);
    // The broken one did not stop the others; asked again, it still fails: it is not taken for compiled.
    await expect(compileValidators()).rejects.toThrow();
    expect((await routes.inject({ method: 'GET', url: '/fine?n=3' })).json()).toEqual({ n: 3 });
    const response = await routes.inject({ method: 'GET', url: '/broken?n=1' });
    expect(response.statusCode).toBe(500);
  });
});
