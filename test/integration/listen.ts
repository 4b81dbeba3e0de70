import type http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Starts a server on 127.0.0.1:0 and pushes onto `closers` the function that closes it with its
 * open sockets (a hung or keep-alive connection must not hold the test's teardown). Returns its
 * base URL (`http://127.0.0.1:PORT`).
 */
export async function listenOnLoopback(
  server: http.Server | net.Server,
  closers: Array<() => Promise<void>>,
): Promise<string> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
