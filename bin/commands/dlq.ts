import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import { readBusOwner, type BusOwner } from '../../pipelines/bus/embedded/bus-owner.js';
import { describeDeadLetter, listDeadLetters, replayDeadLetters, type DeadLetterEntry } from '../../pipelines/consumers/dead-letter-tools.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { callBusOwner } from './bus-owner-client.js';

const DEFAULT_MAX = 100;

/** What `dlq` does, either through the running platform that owns the bus or on a bus it opens itself. */
interface DeadLetterAccess {
  list(group: string, max: number): Promise<DeadLetterEntry[]>;
  replay(group: string, reason: string | undefined): Promise<number>;
}

function throughOwner(owner: BusOwner): DeadLetterAccess {
  const path = (group: string) => `/admin/dlq/${encodeURIComponent(group)}`;
  return {
    list: async (group, max) => (await callBusOwner<{ data: DeadLetterEntry[] }>(owner, 'GET', `${path(group)}?max=${max}`)).data,
    replay: async (group, reason) => (await callBusOwner<{ replayed: number }>(owner, 'POST', `${path(group)}/replay`, reason ? { reason } : {})).replayed,
  };
}

async function withOwnBus<T>(context: CommandContext, act: (access: DeadLetterAccess) => Promise<T>): Promise<T> {
  const bus = await openBus(context.config, context.log);
  const prefix = context.config.topicPrefix;
  try {
    return await act({
      list: async (group, max) => (await listDeadLetters(bus, prefix, group, max)).map(describeDeadLetter),
      replay: (group) => replayDeadLetters(bus, prefix, group),
    });
  } finally {
    await bus.close();
  }
}

export const dlqCommand: Command = {
  summary: "list a consumer group's dead letters, or replay them to their topics (through the running platform when it owns the bus)",
  usage: 'steveslist dlq list <group> [--max N] | steveslist dlq replay <group> [--reason TEXT]',
  options: [
    { flag: '--max N', help: 'list: at most N dead letters', default: DEFAULT_MAX },
    { flag: '--reason TEXT', help: "replay: why, kept in the admin audit trail when the platform runs" },
  ],
  examples: ['npx steveslist dlq list warehouse-loader --max 20', 'npx steveslist dlq replay warehouse-loader --reason "table restored"'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { max: { type: 'string' }, reason: { type: 'string' } });
    const [action, group] = positionals;
    if ((action !== 'list' && action !== 'replay') || !group) throw new UsageError(`usage: ${dlqCommand.usage}`);
    const max = wholeNumber('--max', values.max, DEFAULT_MAX, 1);
    // One process owns the embedded bus: while the platform runs, ask it; otherwise open the bus here (Kafka: always).
    const owner = context.config.bus.kafka ? undefined : readBusOwner(context.config.bus.dir);
    const run = (access: DeadLetterAccess) => (action === 'replay' ? replay(access, group, values.reason) : list(access, group, max));
    await (owner ? run(throughOwner(owner)) : withOwnBus(context, run));
  },
};

async function replay(access: DeadLetterAccess, group: string, reason: string | undefined): Promise<void> {
  const count = await access.replay(group, reason);
  process.stdout.write(`replayed ${count} dead letter(s) of ${group}\n`);
}

async function list(access: DeadLetterAccess, group: string, max: number): Promise<void> {
  const letters = await access.list(group, max);
  for (const l of letters) process.stdout.write(`${l.failed_at}  ${l.topic}/${l.partition}@${l.offset}  key=${l.key}  ${l.error_code}: ${l.error}\n`);
  process.stdout.write(`${letters.length} dead letter(s) for ${group}\n`);
}
