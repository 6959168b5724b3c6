import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real MariaDB or Redis, so a test can make the dependency
 * unreachable for the service under test alone: `cut()` refuses new connections and drops the open
 * ones (a server that went down), `freeze()` keeps every connection open but carries nothing, not
 * even a close (a host lost without closing its connections), `restore()` serves again.
 */
export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    const upstream = createConnection(this.target);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) => from.on('data', (chunk) => !this.frozen && to.write(chunk));
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      if (this.frozen) return;
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  /** Open connections now (for a test that wants to see the service reconnect). */
  get connections(): number {
    return this.pairs.size;
  }

  /** The dependency is down: new connections are refused, open ones are dropped. */
  async cut(): Promise<void> {
    this.frozen = false;
    const closed = this.closeServer();
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** The host is gone without a word: nothing passes, nothing is closed, new connections hang. */
  freeze(): void {
    this.frozen = true;
  }

  /** Serves again on the same port; connections frozen so far are dropped. */
  async restore(): Promise<void> {
    if (this.frozen) await this.cut();
    if (!this.server) await this.listen();
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
