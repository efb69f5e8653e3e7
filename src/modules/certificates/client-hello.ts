import type net from 'node:net';

/**
 * Reading the server name (SNI) of a TLS ClientHello before any TLS server
 * sees it, so that a connection can be handed to the server that fits it.
 *
 * Why: Node's SNICallback adds the chosen context's certificate to the
 * connection instead of replacing the default one, so when their key types
 * differ (an RSA customer certificate, an ECDSA default) the client may
 * still be served the default (nodejs/node#54235). The HTTPS listener
 * therefore hands connections that name a server to a TLS server that has
 * no certificate of its own (the SNICallback supplies each one, the default
 * included), and only connections without SNI to one that has the default.
 */

export type ClientHelloScan = { kind: 'incomplete' } | { kind: 'not-tls' } | { kind: 'hello'; serverName: string | null };

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const HOST_NAME = 0;
const MAX_RECORD = 16_384 + 2_048;
/** Past this a ClientHello is not worth waiting for (real ones are well under 4 KiB, 2 KiB with post-quantum shares). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

/** The ClientHello body (after the handshake header): its server name, or null when it sends none. */
function serverNameOf(body: Buffer): ClientHelloScan {
  let pos = 2 + 32; // client_version, random
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (pos + lengthBytes > body.length) return false;
    const length = lengthBytes === 1 ? (body[pos] as number) : body.readUInt16BE(pos);
    pos += lengthBytes + length;
    return pos <= body.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return { kind: 'not-tls' }; // session id, cipher suites, compression
  if (pos === body.length) return { kind: 'hello', serverName: null }; // no extensions at all
  if (pos + 2 > body.length) return { kind: 'not-tls' };
  const end = pos + 2 + body.readUInt16BE(pos);
  pos += 2;
  if (end > body.length) return { kind: 'not-tls' };
  while (pos + 4 <= end) {
    const type = body.readUInt16BE(pos);
    const length = body.readUInt16BE(pos + 2);
    pos += 4;
    if (pos + length > end) return { kind: 'not-tls' };
    if (type === SERVER_NAME_EXTENSION && length >= 5) {
      const nameType = body[pos + 2];
      const nameLength = body.readUInt16BE(pos + 3);
      if (nameType !== HOST_NAME || pos + 5 + nameLength > pos + length) return { kind: 'not-tls' };
      return { kind: 'hello', serverName: body.toString('latin1', pos + 5, pos + 5 + nameLength) };
    }
    pos += length;
  }
  return { kind: 'hello', serverName: null };
}

/**
 * Scans the first bytes a client sent: `incomplete` until the whole
 * ClientHello is there (it may span records and TCP segments), `not-tls`
 * for anything else, or the hello's server name (null without SNI).
 *
 * @example
 * scanClientHello(firstBytes) // { kind: 'hello', serverName: 'help.acme.test' }
 */
export function scanClientHello(buffer: Buffer): ClientHelloScan {
  const fragments: Buffer[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length < offset + 5) return { kind: 'incomplete' };
    const length = buffer.readUInt16BE(offset + 3);
    if (buffer[offset] !== HANDSHAKE_RECORD || buffer[offset + 1] !== 3 || length === 0 || length > MAX_RECORD) return { kind: 'not-tls' };
    if (buffer.length < offset + 5 + length) return { kind: 'incomplete' };
    fragments.push(buffer.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
    const handshake = Buffer.concat(fragments);
    if (handshake.length < 4) continue;
    if (handshake[0] !== CLIENT_HELLO) return { kind: 'not-tls' };
    const needed = 4 + handshake.readUIntBE(1, 3);
    if (needed > MAX_CLIENT_HELLO_BYTES) return { kind: 'not-tls' };
    if (handshake.length >= needed) return serverNameOf(handshake.subarray(4, needed));
  }
}

/** How long a client may take to send its ClientHello. */
const HELLO_TIMEOUT_MS = 10_000;

/**
 * Reads each connection's ClientHello on `front` and hands the connection,
 * its bytes put back, to `withServerName` when the client named a server,
 * else to `withoutServerName`. Returns the open connections, to end them on close.
 */
export function dispatchByServerName(front: net.Server, withServerName: net.Server, withoutServerName: net.Server): Set<net.Socket> {
  const open = new Set<net.Socket>();
  front.on('connection', (socket: net.Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // A reset before or after the hand-over must not reach the process as an unhandled error.
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const scan = scanClientHello(buffered);
      if (scan.kind === 'incomplete' && buffered.length < MAX_CLIENT_HELLO_BYTES) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buffered);
      const target = scan.kind === 'hello' && scan.serverName !== null ? withServerName : withoutServerName;
      target.emit('connection', socket);
    };
    socket.on('data', onData);
  });
  return open;
}
