// The few Kafka Connect REST calls the platform makes: put a connector's configuration (creates
// or updates it, so registering is idempotent), read its status, restart failed tasks, delete it.
import { PlatformError, ServiceUnavailable } from '../../../core/errors.js';

/** Kafka Connect answered, and refused the request (an invalid configuration, say). */
export class ConnectRequestRejected extends PlatformError {
  readonly code = 'CONNECT_REJECTED';
  readonly retriable = false;
}

export type ConnectorState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

export interface ConnectorStatus {
  name: string;
  connector: { state: ConnectorState; worker_id: string; trace?: string };
  tasks: { id: number; state: ConnectorState; worker_id: string; trace?: string }[];
  type?: string;
}

export class KafkaConnectClient {
  private readonly base: string;

  constructor(url: string, private readonly timeoutMs = 30_000) {
    this.base = url.replace(/\/+$/, '');
  }

  /** Creates the connector or replaces its configuration; true when it was created. */
  async putConfig(name: string, config: Record<string, string>): Promise<boolean> {
    const response = await this.request('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
    return response.status === 201;
  }

  async config(name: string): Promise<Record<string, string> | undefined> {
    const response = await this.request('GET', `/connectors/${encodeURIComponent(name)}/config`, undefined, [404]);
    return response.status === 404 ? undefined : (await response.json()) as Record<string, string>;
  }

  /** The connector's and its tasks' state; undefined when no such connector exists. */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    const response = await this.request('GET', `/connectors/${encodeURIComponent(name)}/status`, undefined, [404]);
    return response.status === 404 ? undefined : (await response.json()) as ConnectorStatus;
  }

  /** The source position Connect saved for the connector (Connect 3.6+); undefined before the first. */
  async offsets(name: string): Promise<{ file: string; pos: number } | undefined> {
    const response = await this.request('GET', `/connectors/${encodeURIComponent(name)}/offsets`, undefined, [404]);
    if (response.status === 404) return undefined;
    const body = (await response.json()) as { offsets?: { offset?: { file?: string; pos?: number } }[] };
    const offset = body.offsets?.[0]?.offset;
    return offset?.file !== undefined && offset.pos !== undefined ? { file: offset.file, pos: Number(offset.pos) } : undefined;
  }

  /** Restarts the connector and those of its tasks that failed. */
  async restartFailed(name: string): Promise<void> {
    await this.request('POST', `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=true`);
  }

  async delete(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}`, undefined, [404]);
  }

  private async request(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ServiceUnavailable(`KAFKA_CONNECT_URL: Kafka Connect at ${this.base} did not answer ${method} ${path.split('?')[0]} (${(error as Error).message}); is the worker running?`, { cause: error });
    }
    if (response.ok || allowed.includes(response.status)) return response;
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch { /* not JSON: keep the text */ }
    // 409: the worker group is rebalancing; it answers again a moment later.
    if (response.status >= 500 || response.status === 409) {
      throw new ServiceUnavailable(`Kafka Connect ${method} ${path.split('?')[0]}: ${response.status} ${message.slice(0, 500)}`);
    }
    throw new ConnectRequestRejected(`Kafka Connect refused ${method} ${path.split('?')[0]}: ${response.status} ${message.slice(0, 1000)}`);
  }
}
