// A TCP proxy on 127.0.0.1 in front of a real server (Elasticsearch in the fault harness) that
// can stall: while stalled, connections open as usual but the bytes in both directions are held,
// so the server looks alive and answers nothing, the way an overloaded or GC-bound node does.
// Nothing is dropped: resume() passes on what was held, in order.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class StallingProxy {
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  private readonly held: (() => void)[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(target: URL): Promise<StallingProxy> {
    let proxy: StallingProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    proxy = new StallingProxy(server, `${target.protocol}//127.0.0.1:${port}`);
    return proxy;
  }

  private accept(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(from);
      from.on('close', () => {
        this.sockets.delete(from);
        to.end();
      });
      from.on('error', () => to.destroy());
      // Held here while stalled, in order, and written on resume.
      from.on('data', (chunk: Buffer) => {
        if (this.stalled) this.held.push(() => to.write(chunk));
        else to.write(chunk);
      });
    }
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const write of this.held.splice(0)) write();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
