import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { SecurityEventsConfig } from '../../platform/service-deps.js';

/** Where the vendor's SIEM reads security events: one JSON line per event, in order. */
export interface SiemSink {
  /** Appends the lines; resolves once all are written (the file) or sent (syslog). */
  write(lines: readonly SiemLine[]): Promise<void>;
}

export interface SiemLine {
  occurredAt: string;
  /** The event's JSON, the same bytes webhooks receive. */
  json: string;
}

/**
 * A JSON-lines file rotated by size: when appending would take it past
 * `maxBytes`, `file` becomes `file.1`, `file.1` becomes `file.2`, and so on up
 * to `file.{keep}`, the oldest, which is dropped. One writer per file: the
 * dispatch job runs one at a time per process (see `security-events.jobs.ts`).
 */
export function fileSiemSink(file: string, maxBytes: number, keep: number): SiemSink {
  const rotate = async (): Promise<void> => {
    await fs.rm(`${file}.${keep}`, { force: true });
    for (let index = keep - 1; index >= 1; index -= 1) await fs.rename(`${file}.${index}`, `${file}.${index + 1}`).catch(() => undefined);
    await fs.rename(file, `${file}.1`).catch(() => undefined);
  };
  return {
    async write(lines) {
      for (const line of lines) {
        const text = `${line.json}\n`;
        const size = await fs.stat(file).then(
          (stat) => stat.size,
          () => 0,
        );
        if (size > 0 && size + Buffer.byteLength(text) > maxBytes) await rotate();
        await fs.appendFile(file, text, { mode: 0o600 });
      }
    },
  };
}

/** RFC 5424 facility `authpriv` (10: security and authorization messages), severity `notice` (5). */
const PRIORITY = 10 * 8 + 5;
const HOSTNAME =
  os
    .hostname()
    .replace(/[^\x21-\x7e]/g, '')
    .slice(0, 255) || '-';

/** One RFC 5424 message with RFC 6587 octet-counting framing: `LEN SP <PRI>1 TIMESTAMP HOST riposte PROCID security-event - JSON`. */
export function syslogFrame(line: SiemLine): string {
  const message = `<${PRIORITY}>1 ${line.occurredAt} ${HOSTNAME} riposte ${process.pid} security-event - ${line.json}`;
  return `${Buffer.byteLength(message)} ${message}`;
}

/**
 * A syslog receiver over TCP or TLS (`tcp://host:port`, `tls://host:port`).
 * A connection per batch: the sweep writes every few seconds at most, and a
 * receiver restarting in between costs nothing. TLS verifies the receiver's
 * certificate (a private CA: `NODE_EXTRA_CA_CERTS`, or `tlsOptions.ca`).
 */
export function syslogSiemSink(url: string, tlsOptions: tls.ConnectionOptions = {}): SiemSink {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port);
  return {
    write(lines) {
      if (lines.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onConnect = (): void => {
          socket.end(lines.map(syslogFrame).join(''), () => resolve());
        };
        const socket =
          target.protocol === 'tls:'
            ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ...tlsOptions }, onConnect)
            : net.connect({ host, port }, onConnect);
        socket.setTimeout(10_000, () =>
          socket.destroy(new Error(`the syslog receiver ${target.host} did not take the events within 10 s`)),
        );
        socket.on('error', reject);
      });
    },
  };
}

/** The sinks the configuration names (none, either, or both). */
export function configuredSiemSinks(config: Partial<SecurityEventsConfig>): SiemSink[] {
  const sinks: SiemSink[] = [];
  if (config.siemFile !== undefined)
    sinks.push(fileSiemSink(config.siemFile, config.siemFileMaxBytes ?? 10 * 1024 * 1024, config.siemFileKeep ?? 5));
  if (config.siemSyslogUrl !== undefined) sinks.push(syslogSiemSink(config.siemSyslogUrl));
  return sinks;
}
