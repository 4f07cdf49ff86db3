// A consumer group's dead letters for staff and for local commands: listing them, and replaying
// them to the topics they came from once the cause is fixed. Served by the process that holds
// the bus, so `steveslist dlq` works while the platform owns the embedded one. Both are audited:
// a dead letter carries the row it failed on (personal data), and a replay changes what sinks get.
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import type { Bus } from '../../../pipelines/bus/port.js';
import { deadLetterTopic } from '../../../pipelines/consumers/dead-letter.js';
import { describeDeadLetter, listDeadLetters, replayDeadLetters } from '../../../pipelines/consumers/dead-letter-tools.js';
import { adminOf } from '../admin-of.js';
import { reason } from '../schemas.js';

export interface DeadLetterRouteOptions {
  pool: Pool;
  bus: Bus;
  topicPrefix: string;
}

export const DEAD_LETTERS_MAX = 10_000;

const groupParams = {
  type: 'object',
  required: ['group'],
  additionalProperties: false,
  // A consumer group's name is part of its dead-letter topic's name, so it takes a topic's characters.
  properties: { group: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' } },
} as const;

export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRouteOptions> = async (app, { pool, bus, topicPrefix }) => {
  // One replay of a group at a time in this process: two would read the same replay position and send letters twice.
  const replays = new Map<string, Promise<unknown>>();

  app.get<{ Params: { group: string }; Querystring: { max: number } }>('/admin/dlq/:group', {
    config: { localCommand: true },
    schema: {
      params: groupParams,
      querystring: { type: 'object', additionalProperties: false, properties: { max: { type: 'integer', minimum: 1, maximum: DEAD_LETTERS_MAX, default: 100 } } },
    },
  }, async (request) => {
    const { group } = request.params;
    const letters = (await listDeadLetters(bus, topicPrefix, group, request.query.max)).map(describeDeadLetter);
    await recordAudit(pool, { admin: adminOf(request), action: 'consumer_group.list_dead_letters', targetType: 'consumer_group', details: { group, count: letters.length } });
    return { group, topic: deadLetterTopic(topicPrefix, group), count: letters.length, data: letters };
  });

  app.post<{ Params: { group: string }; Body: { reason?: string } }>('/admin/dlq/:group/replay', {
    config: { localCommand: true },
    schema: { params: groupParams, body: { type: 'object', additionalProperties: false, properties: { reason } } },
  }, async (request) => {
    const { group } = request.params;
    const previous = replays.get(group) ?? Promise.resolve();
    const replay = previous.catch(() => undefined).then(() => replayDeadLetters(bus, topicPrefix, group));
    replays.set(group, replay);
    try {
      const replayed = await replay;
      await recordAudit(pool, {
        admin: adminOf(request), action: 'consumer_group.replay_dead_letters', targetType: 'consumer_group',
        reason: request.body.reason?.trim() || null, details: { group, count: replayed },
      });
      return { group, replayed };
    } finally {
      if (replays.get(group) === replay) replays.delete(group);
    }
  });
};
