import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { scanClientHello } from './client-hello.js';

/** The bytes a real Node TLS client sends first, captured by a plain TCP server. */
async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const captured = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let bytes = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        if (scanClientHello(bytes).kind !== 'incomplete') {
          resolve(bytes);
          socket.destroy();
        }
      });
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
  client.on('error', () => undefined);
  const bytes = await captured;
  client.destroy();
  server.close();
  return bytes;
}

/** The same hello re-framed into records of at most `size` bytes, as a client may legally send it. */
function reframe(hello: Buffer, size: number): Buffer {
  const handshake = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let offset = 0; offset < handshake.length; offset += size) {
    const fragment = handshake.subarray(offset, offset + size);
    const header = Buffer.from([22, 3, 1, 0, 0]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

describe('ClientHello scanning', () => {
  it('reads the server name of TLS 1.3 and TLS 1.2 hellos, and null without SNI', async () => {
    expect(scanClientHello(await captureClientHello({ servername: 'help.acme.test' }))).toEqual({
      kind: 'hello',
      serverName: 'help.acme.test',
    });
    expect(scanClientHello(await captureClientHello({ servername: 'help.acme.test', maxVersion: 'TLSv1.2' }))).toEqual({
      kind: 'hello',
      serverName: 'help.acme.test',
    });
    // Node sends no SNI to an IP address.
    expect(scanClientHello(await captureClientHello({}))).toEqual({ kind: 'hello', serverName: null });
  });

  it('waits for every byte, across TCP segments and records', async () => {
    const hello = await captureClientHello({ servername: 'help.acme.test' });
    for (let length = 0; length < hello.length; length += 1) {
      expect(scanClientHello(hello.subarray(0, length)).kind).toBe('incomplete');
    }
    const fragmented = reframe(hello, 100);
    expect(fragmented.length).toBeGreaterThan(hello.length);
    expect(scanClientHello(fragmented.subarray(0, fragmented.length - 1)).kind).toBe('incomplete');
    expect(scanClientHello(fragmented)).toEqual({ kind: 'hello', serverName: 'help.acme.test' });
  });

  it('calls anything else not TLS, without throwing', async () => {
    expect(scanClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: help.acme.test\r\n\r\n'))).toEqual({ kind: 'not-tls' });
    expect(scanClientHello(Buffer.from([22, 3, 1, 0, 0]))).toEqual({ kind: 'not-tls' });
    expect(scanClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0]))).toEqual({ kind: 'not-tls' });
    const hello = await captureClientHello({ servername: 'help.acme.test' });
    // Lengths that point past the end, anywhere in the hello.
    for (let index = 9; index < hello.length; index += 7) {
      const broken = Buffer.from(hello);
      broken[index] = 0xff;
      expect(() => scanClientHello(broken)).not.toThrow();
    }
  });
});
