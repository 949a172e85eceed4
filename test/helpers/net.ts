// A loopback port that was free a moment ago: bind port 0, note what the kernel gave, release it.
// Used both to publish a stack on and as a port nothing listens on.
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
