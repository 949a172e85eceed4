// A 127.0.0.1 port relayed to an address on the test swarm's private bridge: the project's load loops accept only
// loopback targets, and the swarm's load balancer is published on the manager's bridge address.
import net from 'node:net';

/**
 * A loopback port that relays TCP to host:port, so loopback-only load loops (toolkit/chaos/load-loop.ts) can reach a
 * load balancer published on the cluster's private bridge. Ends and resets are passed on both ways, so a keep-alive
 * connection nginx closes looks closed to the client too.
 */
export async function forwardFromLoopback(
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void>; [Symbol.asyncDispose](): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host, port, allowHalfOpen: true });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      // A clean close ends the other side after what was piped is flushed; a reset resets it.
      a.on('close', (hadError) => {
        sockets.delete(a);
        if (hadError) b.destroy();
        else b.end();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { port: (server.address() as net.AddressInfo).port, close, [Symbol.asyncDispose]: close };
}
