import { EnvironmentError, UsageError } from '../../core/errors.js';
import { portInUse } from '../../core/ports.js';
import { startWebhookListener } from './webhook-listener.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { runUntilSignal } from '../shutdown.js';

const SECRET_VARIABLE = 'STEVESLIST_WEBHOOK_SECRET';
const DEFAULTS = { port: 4000, host: '127.0.0.1' };

export const webhooksCommand: Command = {
  summary: 'developer tools for webhooks: a local receiver that prints, verifies and forwards deliveries',
  usage: `steveslist webhooks listen [--port N (default 4000)] [--host 127.0.0.1] [--secret whsec_... (or ${SECRET_VARIABLE})] [--forward-to <url>]`,
  options: [
    { flag: '--port N', help: 'port to listen on (0: a free one)', default: DEFAULTS.port },
    { flag: '--host ADDRESS', help: 'address to listen on', default: DEFAULTS.host },
    { flag: '--secret whsec_...', help: `the endpoint's secret, to verify signatures (default: ${SECRET_VARIABLE}, else not checked)` },
    { flag: '--forward-to URL', help: 'relay accepted deliveries unchanged to this URL and answer with its status (default: answer 204)' },
  ],
  examples: ['STEVESLIST_WEBHOOK_SECRET=whsec_... npx steveslist webhooks listen --forward-to http://127.0.0.1:8080/hooks'],
  longRunning: true,
  async run(context) {
    const { values, positionals } = parseOptions(context.args, {
      port: { type: 'string' }, host: { type: 'string' }, secret: { type: 'string' }, 'forward-to': { type: 'string' },
    });
    if (positionals[0] !== 'listen' || positionals.length > 1) throw new UsageError(`usage: ${webhooksCommand.usage}`);
    const port = wholeNumber('--port', values.port, DEFAULTS.port);
    if (port > 65_535) throw new UsageError(`--port: expected a port number up to 65535, got "${values.port}"`);
    const host = values.host ?? DEFAULTS.host;
    // The environment keeps the secret out of shell history and process listings.
    const secret = values.secret ?? process.env[SECRET_VARIABLE];
    if (secret !== undefined && !/^whsec_[A-Za-z0-9+/]+=*$/.test(secret)) {
      throw new UsageError(`${values.secret !== undefined ? '--secret' : SECRET_VARIABLE}: expected the endpoint's whsec_... secret`);
    }
    const forwardTo = values['forward-to'];
    if (forwardTo !== undefined && !/^https?:\/\/[^\s]+$/.test(forwardTo)) throw new UsageError(`--forward-to: expected an http(s) URL, got "${forwardTo}"`);

    const print = (line: string) => process.stdout.write(`${line}\n`);
    let listener;
    try {
      listener = await startWebhookListener({ host, port, secret, forwardTo, print });
    } catch (error) {
      const { code, syscall } = error as NodeJS.ErrnoException;
      if (code === 'EADDRINUSE') throw portInUse(host, port, '--port');
      if (code === 'EACCES') throw new EnvironmentError(`--port: not allowed to listen on ${host}:${port} (ports below 1024 need root); pick a port above 1024`);
      // A name that does not resolve, or an address that is not this machine's.
      if (syscall === 'getaddrinfo' || code === 'EADDRNOTAVAIL' || code === 'EINVAL' || code === 'EAFNOSUPPORT') {
        throw new UsageError(`--host: cannot listen on "${host}" (${code}); give an address of this machine, such as 127.0.0.1`);
      }
      throw error;
    }
    // Listening for signals before saying so: whoever waits for the line may signal at once.
    const stopped = runUntilSignal(context.log, () => listener.close());
    print(`listening on ${listener.url} (${secret ? 'checking signatures' : `not checking signatures: pass --secret or set ${SECRET_VARIABLE}`}`
      + `${forwardTo ? `, forwarding to ${forwardTo}` : ''}); Ctrl-C stops`);
    return stopped;
  },
};
