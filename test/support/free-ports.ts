import { createServer, Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** `n` loopback ports free a moment ago (held together, so all different), for services a test starts itself. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** One loopback port free a moment ago. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}
