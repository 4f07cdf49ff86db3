// A receiver for developers, like a request bin: prints every delivery it gets, says whether its
// Standard Webhooks signature verifies (given the endpoint's secret), and can relay it to a local
// server unchanged, so a receiver under development gets real, signed deliveries.
// It is the body of `steveslist webhooks listen`, a tool for people writing receivers, not a sink:
// it lives beside its command.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '../../core/webhook-signature.js';

export interface ListenerOptions {
  host: string;
  port: number;
  /** whsec_...: check signatures and answer 401 to a delivery whose signature does not verify. */
  secret?: string;
  /** Relay each accepted delivery here, and answer with its status. */
  forwardTo?: string;
  /** Where the lines describing each delivery go. */
  print: (line: string) => void;
  timeoutMs?: number;
}

export interface WebhookListener {
  url: string;
  close(): Promise<void>;
}

/** The headers a receiver needs to verify the delivery it is relayed. */
const RELAYED = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent'];
const MAX_BODY_BYTES = 1024 * 1024;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as indented JSON when it is JSON, cut to keep the terminal readable. */
function preview(body: string): string {
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Not JSON: shown as it came.
  }
  const lines = text.split('\n');
  return lines.length > 40 ? [...lines.slice(0, 40), `  ... ${lines.length - 40} more lines`].join('\n') : text;
}

function eventType(body: string): string {
  try {
    return String((JSON.parse(body) as { type?: unknown }).type ?? '(no type)');
  } catch {
    return '(not JSON)';
  }
}

/** Relays the bytes as they came: the signature covers them, so a re-encoded body would not verify. */
async function relay(target: string, headers: IncomingHttpHeaders, body: Buffer, timeoutMs: number): Promise<{ status: number; contentType: string; body: string }> {
  const forwarded: Record<string, string> = {};
  for (const name of RELAYED) {
    const value = header(headers, name);
    if (value !== undefined) forwarded[name] = value;
  }
  const response = await fetch(target, { method: 'POST', headers: forwarded, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? 'text/plain', body: await response.text() };
}

/** Whether the delivery verifies, or why not; a signed body that is not JSON still verifies. */
function verdictOf(secret: string, headers: IncomingHttpHeaders, body: string): { ok: true; verdict: string } | { ok: false; reason: string } {
  try {
    verifyWebhook(secret, headers, body);
    return { ok: true, verdict: 'signature verified' };
  } catch (error) {
    // verifyWebhook parses the body only once the signature matched.
    if (error instanceof SyntaxError) return { ok: true, verdict: 'signature verified (body is not JSON)' };
    if (error instanceof WebhookVerificationError) return { ok: false, reason: error.message };
    throw error;
  }
}

export async function startWebhookListener(options: ListenerOptions): Promise<WebhookListener> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        const id = header(request.headers, 'webhook-id') ?? '(no webhook-id)';
        const at = new Date().toISOString();
        if (request.method !== 'POST') {
          options.print(`${at}  ${request.method} ${request.url}: not a delivery (deliveries are POSTs), answered 405`);
          return response.writeHead(405, { allow: 'POST' }).end();
        }
        if (size > MAX_BODY_BYTES) {
          options.print(`${at}  ${id}: body over 1 MiB, answered 413`);
          return response.writeHead(413).end();
        }
        let verdict = 'signature not checked (no secret given)';
        if (options.secret) {
          const checked = verdictOf(options.secret, request.headers, body);
          if (!checked.ok) {
            options.print(`${at}  ${id}  ${eventType(body)}  REJECTED: ${checked.reason}; answered 401`);
            return response.writeHead(401, { 'content-type': 'text/plain' }).end(`${checked.reason}\n`);
          }
          verdict = checked.verdict;
        }
        options.print(`${at}  ${id}  ${eventType(body)}  ${verdict}\n${preview(body)}`);
        if (!options.forwardTo) return response.writeHead(204).end();
        try {
          const relayed = await relay(options.forwardTo, request.headers, raw, timeoutMs);
          options.print(`  -> ${options.forwardTo} answered ${relayed.status}`);
          return response.writeHead(relayed.status, { 'content-type': relayed.contentType }).end(relayed.body.slice(0, 1000));
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
          options.print(`  -> ${options.forwardTo} failed (${cause}); answered 502 so the sender retries`);
          return response.writeHead(502).end();
        }
      })().catch((error: unknown) => {
        options.print(`listener error: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
