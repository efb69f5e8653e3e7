import net, { type AddressInfo } from 'node:net';

/** A free port, so the public URL can name the port the server will listen on. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * What a browser does for `*.localhost` and Node's resolver does not: connect
 * to this machine, keeping the name in the Host header. The client follows
 * Riposte's absolute pagination links through it.
 */
export const localhostTransport = {
  transportFn(uri: string, options: { headers?: Record<string, string> }): Promise<Response> {
    const url = new URL(uri);
    const host = url.host;
    url.hostname = '127.0.0.1';
    return fetch(url, { ...options, headers: { ...options.headers, host } });
  },
  responseAdapter(response: Response) {
    return {
      json: () => response.json() as Promise<unknown>,
      status: response.status,
      headers: { get: (name: string) => response.headers.get(name) },
      statusText: response.statusText,
    };
  },
};
