/**
 * A TCP pass-through on 127.0.0.1 in front of a real server, for tests that need the connection to
 * break: `block()` cuts every open connection and refuses new ones (counting the attempts) until
 * `unblock()`. TLS goes through untouched, so clients still verify the real server.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  /** connections accepted and forwarded */
  forwarded = 0;
  /** connections refused while blocked */
  refused = 0;
  private blocked = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  readonly port: number;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((client) => {
      const proxy = holder.proxy;
      if (!proxy || proxy.blocked) {
        if (proxy) proxy.refused++;
        client.destroy();
        return;
      }
      proxy.forwarded++;
      const upstream = connect(targetPort, targetHost);
      proxy.track(client);
      proxy.track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    holder.proxy = proxy;
    return proxy;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  /** Cuts every connection and refuses new ones. */
  block(): void {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
  }

  unblock(): void {
    this.blocked = false;
  }

  async close(): Promise<void> {
    this.block();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
