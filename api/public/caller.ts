// Who is calling: a session token (`sls_...`) or an API key (`slk_...`), resolved before a
// route's own validation so a caller without a credential learns that first. Each route says in
// its config how much it needs: nothing, optional, any credential, or a logged-in session.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userForApiKey, API_KEY_PREFIX } from '../../marketplace/auth/api-keys.js';
import { userForSession } from '../../marketplace/auth/user-accounts.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import { ApiError } from '../errors.js';

export type AuthMode = 'none' | 'optional' | 'required' | 'session';

export interface Caller {
  userId: number;
  via: 'session' | 'api_key';
  /** The credential itself, for logging out; never logged. */
  credential: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | undefined;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
}

export interface Credential {
  kind: 'session' | 'api_key';
  value: string;
}

export function credentialOf(request: FastifyRequest): Credential | undefined {
  const key = request.headers['x-steveslist-api-key'];
  if (typeof key === 'string' && key !== '') return { kind: 'api_key', value: key };
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer) return undefined;
  return { kind: bearer.startsWith(API_KEY_PREFIX) ? 'api_key' : 'session', value: bearer };
}

const NO_CREDENTIAL = 'send an API key (X-Steveslist-API-Key) or a session token (Authorization: Bearer); get them from POST /v1/sessions and POST /v1/api-keys';

export function installCallerAuth(app: FastifyInstance, pool: Pool): void {
  app.decorateRequest('caller', undefined);
  app.addHook('preValidation', async (request) => {
    const mode = request.routeOptions.config?.auth ?? 'none';
    if (mode === 'none') return;
    const credential = credentialOf(request);
    if (!credential) {
      if (mode === 'optional') return;
      throw new ApiError(401, 'unauthorized', NO_CREDENTIAL);
    }
    const owner = credential.kind === 'api_key' ? await userForApiKey(pool, credential.value) : await userForSession(pool, credential.value);
    if (!owner) {
      throw new ApiError(401, 'unauthorized', credential.kind === 'api_key' ? 'the API key is wrong or revoked' : 'the session token is wrong or expired; log in again');
    }
    if (owner.status !== 'active') throw new ApiError(403, 'forbidden', `this account is ${owner.status}; contact support`);
    if (mode === 'session' && credential.kind !== 'session') throw new ApiError(403, 'forbidden', 'this needs a logged-in session (Authorization: Bearer sls_...), not an API key');
    request.caller = { userId: owner.userId, via: credential.kind, credential: credential.value };
  });
}

/** The caller of a route whose config requires one. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new ApiError(401, 'unauthorized', NO_CREDENTIAL);
  return request.caller;
}
