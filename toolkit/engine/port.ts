// Before anything is created: is the port we are about to publish free? A taken port is the user's
// choice to fix (exit 2), not a runtime failure halfway through `up`.
import net from 'node:net';
import { UsageError } from '../errors.ts';

export async function assertPortFree(host: string, port: number): Promise<void> {
  const code = await new Promise<string | null>((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EUNKNOWN'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (code === null) return;
  if (code === 'EADDRINUSE') {
    throw new UsageError(
      `port ${port} on ${host} is already in use by something other than this stack`,
      `pick another with --port <n> (or stop what listens on ${host}:${port})`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    throw new UsageError(`cannot bind ${host}: it is not an address of this machine`, 'use --bind 127.0.0.1');
  }
  throw new UsageError(`cannot listen on ${host}:${port} (${code})`, 'pick another with --port <n>');
}
