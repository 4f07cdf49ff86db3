// `steveslist webhooks listen` as a developer runs it: a child process that receives signed
// deliveries, prints and verifies them, refuses forged or stale ones, and relays the rest to a
// local receiver unchanged.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader, verifyWebhook } from '../../core/webhook-signature.js';
import { freePort } from '../../core/ports.js';
import { runCli, startCli, type RunningCli } from '../../test/fixtures/run-cli.js';

const secret = generateWebhookSecret();
let target: Server;
let targetUrl: string;
const relayed: { headers: IncomingHttpHeaders; body: string }[] = [];
let listener: RunningCli;
let listenUrl: string;

function signed(body: string, options: { id?: string; secret?: string; timestamp?: number } = {}): Record<string, string> {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader([options.secret ?? secret], id, timestamp, body) };
}

beforeAll(async () => {
  target = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      relayed.push({ headers: request.headers, body });
      response.writeHead(202).end('thanks');
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/hooks`;
  // Port 0: the listener takes a free one and prints it, so no other process can take it first.
  listener = startCli(['webhooks', 'listen', '--port', '0', '--forward-to', targetUrl], { STEVESLIST_WEBHOOK_SECRET: secret });
  listenUrl = (await listener.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1]!;
});
afterAll(async () => {
  if (listener && listener.child.exitCode === null) listener.child.kill('SIGKILL');
  target?.close();
});

describe('steveslist webhooks listen', () => {
  it('prints a verified delivery and relays it unchanged, answering with the receiver\'s status', async () => {
    const body = JSON.stringify({ type: 'order.placed', timestamp: new Date().toISOString(), data: { id: 42, amount: 25_000 } });
    const headers = signed(body, { id: 'msg_relay-1' });
    const response = await fetch(listenUrl, { method: 'POST', headers, body });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('thanks');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.body).toBe(body);
    expect(verifyWebhook(secret, relayed[0]!.headers as Record<string, string>, relayed[0]!.body)).toMatchObject({ type: 'order.placed' });
    const printed = (await listener.waitFor(/msg_relay-1[\s\S]*answered 202/))[0];
    expect(printed).toContain('order.placed  signature verified');
    expect(printed).toContain('"amount": 25000');
  });

  it('refuses a forged and a stale delivery with 401, and relays neither', async () => {
    const body = JSON.stringify({ type: 'listing.created', data: {} });
    const forged = await fetch(listenUrl, { method: 'POST', headers: signed(body, { id: 'msg_forged', secret: generateWebhookSecret() }), body });
    expect(forged.status).toBe(401);
    const stale = await fetch(listenUrl, { method: 'POST', headers: signed(body, { id: 'msg_stale', timestamp: Math.floor(Date.now() / 1000) - 3600 }), body });
    expect(stale.status).toBe(401);
    await listener.waitFor(/msg_forged  listing\.created  REJECTED: no signature matches the secret/);
    await listener.waitFor(/msg_stale  listing\.created  REJECTED: webhook-timestamp is too old/);
    expect(relayed).toHaveLength(1);
  });

  it('verifies a signed body that is not JSON, and relays its exact bytes', async () => {
    const body = 'caf\u00e9 \u2014 plain text, not JSON';
    const response = await fetch(listenUrl, { method: 'POST', headers: { ...signed(body, { id: 'msg_text' }), 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(body, 'utf8') });
    expect(response.status).toBe(202);
    expect(relayed).toHaveLength(2);
    expect(relayed[1]!.body).toBe(body);
    expect(relayed[1]!.headers['content-type']).toBe('text/plain; charset=utf-8');
    await listener.waitFor(/msg_text  \(not JSON\)  signature verified \(body is not JSON\)/);
  });

  it('never prints the secret, and stops cleanly on SIGTERM', async () => {
    expect(listener.output()).not.toContain(secret);
    listener.child.kill('SIGTERM');
    expect(await listener.exited).toBe(0);
  });

  it('without a secret prints deliveries unchecked, and answers 502 when the forward target is down', async () => {
    const down = await freePort();
    const unchecked = startCli(['webhooks', 'listen', '--port', '0', '--forward-to', `http://127.0.0.1:${down}/`], { STEVESLIST_WEBHOOK_SECRET: undefined });
    try {
      const url = (await unchecked.waitFor(/listening on (http:\/\/\S+) \(not checking signatures: pass --secret or set STEVESLIST_WEBHOOK_SECRET/, 30_000))[1]!;
      const body = JSON.stringify({ type: 'user.signed_up', data: { id: 7 } });
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'msg_unchecked' }, body });
      expect(response.status).toBe(502);
      await unchecked.waitFor(/msg_unchecked  user\.signed_up  signature not checked \(no secret given\)[\s\S]*"id": 7[\s\S]*failed \(ECONNREFUSED\); answered 502/);
      expect((await fetch(url)).status).toBe(405);
    } finally {
      unchecked.child.kill('SIGTERM');
      await unchecked.exited;
    }
  });

  it('names the option when one is wrong', async () => {
    const badSecret = await runCli(['webhooks', 'listen', '--secret', 'hunter2']);
    expect(badSecret).toMatchObject({ code: 2, stderr: "steveslist: --secret: expected the endpoint's whsec_... secret\n" });
    expect((await runCli(['webhooks', 'listen', '--forward-to', 'localhost:3000'])).stderr).toMatch(/--forward-to: expected an http\(s\) URL/);
    expect((await runCli(['webhooks', 'serve'])).stderr).toMatch(/usage: steveslist webhooks listen/);
    expect(await runCli(['webhooks', 'listen', '--host', 'no-such-host.invalid', '--port', '0'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^steveslist: --host: cannot listen on "no-such-host\.invalid"/) });
  });
});
