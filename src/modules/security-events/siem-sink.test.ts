import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateWorkbench } from '../../../test/support/test-certificates.js';
import { fileSiemSink, syslogSiemSink, type SiemLine } from './siem-sink.js';

const line = (n: number): SiemLine => ({
  occurredAt: `2026-06-01T12:00:0${n}.000Z`,
  json: JSON.stringify({ type: 'certificate.revoked', timestamp: `2026-06-01T12:00:0${n}.000Z`, data: { id: `evt_${n}`, note: 'é ✓' } }),
});

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$/s;

/** Reads octet-counted frames (RFC 6587 §3.4.1) from a stream and parses each as RFC 5424. */
function parseFrames(buffer: Buffer): { pri: number; timestamp: string; app: string; msgid: string; msg: unknown }[] {
  const frames = [];
  let rest = buffer;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number(rest.subarray(0, space).toString('ascii'));
    expect(Number.isInteger(length) && length > 0).toBe(true);
    const frame = rest.subarray(space + 1, space + 1 + length).toString('utf8');
    expect(Buffer.byteLength(frame)).toBe(length);
    rest = rest.subarray(space + 1 + length);
    const match = RFC5424.exec(frame);
    if (match === null) throw new Error(`not an RFC 5424 message: ${frame}`);
    frames.push({
      pri: Number(match[1]),
      timestamp: match[2] ?? '',
      app: match[4] ?? '',
      msgid: match[6] ?? '',
      msg: JSON.parse(match[8] ?? ''),
    });
  }
  return frames;
}

/** A syslog receiver on an ephemeral port; `received()` resolves with everything a connection sent once it closes. */
function startReceiver(secure?: tls.TlsOptions): Promise<{ port: number; received: () => Promise<Buffer>; close: () => void }> {
  let resolveReceived: (data: Buffer) => void = () => undefined;
  const received = new Promise<Buffer>((resolve) => (resolveReceived = resolve));
  const onSocket = (socket: net.Socket): void => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolveReceived(Buffer.concat(chunks)));
  };
  const server = secure === undefined ? net.createServer(onSocket) : tls.createServer(secure, onSocket);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, received: () => received, close: () => server.close() }),
    ),
  );
}

describe('SIEM stream', () => {
  let dir: string;
  let workbench: CertificateWorkbench;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-siem-'));
    workbench = new CertificateWorkbench();
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    workbench.dispose();
  });

  it('writes one JSON line per event and rotates by size, keeping N files', async () => {
    const file = path.join(dir, 'events.jsonl');
    const size = Buffer.byteLength(`${line(1).json}\n`);
    // Room for two lines a file; three files kept.
    const sink = fileSiemSink(file, size * 2, 3);
    for (let n = 1; n <= 9; n += 1) await sink.write([line(n)]);
    const read = (name: string) =>
      fs
        .readFileSync(path.join(dir, name), 'utf8')
        .trimEnd()
        .split('\n')
        .map((text) => (JSON.parse(text) as { data: { id: string } }).data.id);
    expect(read('events.jsonl')).toEqual(['evt_9']);
    expect(read('events.jsonl.1')).toEqual(['evt_7', 'evt_8']);
    expect(read('events.jsonl.2')).toEqual(['evt_5', 'evt_6']);
    expect(read('events.jsonl.3')).toEqual(['evt_3', 'evt_4']);
    expect(fs.existsSync(path.join(dir, 'events.jsonl.4'))).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('sends RFC 5424 messages with octet counting over TCP, one per event', async () => {
    const receiver = await startReceiver();
    try {
      await syslogSiemSink(`tcp://127.0.0.1:${receiver.port}`).write([line(1), line(2)]);
      const frames = parseFrames(await receiver.received());
      expect(frames.map((frame) => frame.msg)).toEqual([JSON.parse(line(1).json), JSON.parse(line(2).json)]);
      expect(frames[0]).toMatchObject({ pri: 85, timestamp: '2026-06-01T12:00:01.000Z', app: 'riposte', msgid: 'security-event' });
    } finally {
      receiver.close();
    }
  });

  it('sends over TLS, verifying the receiver', async () => {
    const certificate = workbench.issue({ commonName: 'localhost', dnsNames: ['localhost'] });
    const receiver = await startReceiver({ cert: certificate.certificatePem, key: certificate.keyPem });
    try {
      await syslogSiemSink(`tls://localhost:${receiver.port}`, { ca: certificate.certificatePem }).write([line(3)]);
      expect(parseFrames(await receiver.received()).map((frame) => frame.msg)).toEqual([JSON.parse(line(3).json)]);
      // A receiver the sink cannot verify gets nothing.
      await expect(syslogSiemSink(`tls://localhost:${receiver.port}`).write([line(4)])).rejects.toThrow();
    } finally {
      receiver.close();
    }
  });

  it('fails when the receiver is down, so the events stay pending', async () => {
    const receiver = await startReceiver();
    receiver.close();
    await expect(syslogSiemSink(`tcp://127.0.0.1:${receiver.port}`).write([line(1)])).rejects.toThrow();
  });
});
