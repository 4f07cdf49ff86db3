import type { FastifyPluginAsync } from 'fastify';
import { logIn, logOut, SESSION_DAYS, signUp, type SignUp } from '../../../marketplace/auth/user-accounts.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getUser } from '../../../marketplace/queries/users.js';
import { callerOf } from '../caller.js';
import { fields, user } from '../schemas.js';

export interface AccountRouteOptions {
  pool: Pool;
  /** Sign-ups and log-ins a minute per client IP. */
  authRateLimitPerMinute: number;
}

const session = { type: 'object', properties: { token: { type: 'string' }, expires_in_s: { type: 'integer' } } } as const;
const SESSION_SECONDS = SESSION_DAYS * 86_400;

const signUpSchema = {
  tags: ['accounts'],
  summary: 'Sign up; answers the new user and a session token',
  body: {
    type: 'object',
    required: ['email', 'password', 'name'],
    additionalProperties: false,
    properties: { email: fields.email, password: fields.password, name: fields.personName, country: fields.country, city: fields.city },
  },
  response: { 201: { type: 'object', properties: { user, session } } },
};

const logInSchema = {
  tags: ['accounts'],
  summary: 'Log in with email and password; answers a session token',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  response: { 201: { type: 'object', properties: { ...session.properties, user } } },
};

export const accountRoutes: FastifyPluginAsync<AccountRouteOptions> = async (app, { pool, authRateLimitPerMinute }) => {
  // Per IP whatever the credential: this is what caps password guessing and sign-up spam.
  const rateLimit = { max: authRateLimitPerMinute, timeWindow: 60_000, keyGenerator: (request: { ip: string }) => `auth:${request.ip}` };

  app.post<{ Body: SignUp }>('/v1/users', { schema: signUpSchema, config: { rateLimit } }, async (request, reply) => {
    const { user: created, token } = await signUp(pool, { ...request.body, email: request.body.email.toLowerCase() }, { clientIp: request.ip });
    return reply.code(201).send({ user: await getUser(pool, created.id), session: { token, expires_in_s: SESSION_SECONDS } });
  });

  app.post<{ Body: { email: string; password: string } }>('/v1/sessions', { schema: logInSchema, config: { rateLimit } }, async (request, reply) => {
    const { token, userId } = await logIn(pool, request.body.email.toLowerCase(), request.body.password);
    return reply.code(201).send({ token, expires_in_s: SESSION_SECONDS, user: await getUser(pool, userId) });
  });

  app.delete('/v1/sessions/current', { schema: { tags: ['accounts'], summary: 'Log out: ends this session' }, config: { auth: 'session' } }, async (request, reply) => {
    await logOut(pool, callerOf(request).credential);
    return reply.code(204).send();
  });

  app.get('/v1/me', { schema: { tags: ['accounts'], summary: 'The calling user', response: { 200: user } }, config: { auth: 'required' } }, async (request) => {
    return getUser(pool, callerOf(request).userId);
  });
};
