import { X509Certificate } from 'node:crypto';
import tls, { type SecureContext } from 'node:tls';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { decryptSecretConfidential } from '../../platform/crypto/envelope.service.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { onCertificateChange } from './certificate-changes.js';
import { findServableCertificatesConfidential, readCertificateChangesVersion } from './certificates.repo.js';
import { PRIVATE_KEY_LOCATION } from './certificates.service.js';
import type { DefaultCertificate } from './default-certificate.js';
import { anyNameMatches } from './hostnames.js';
import { parseHostnames } from './certificates.model.js';

export interface ServingDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
}

/** What one handshake gets: the context, and which certificate it holds (null: the default). */
export interface ServedCertificate {
  context: SecureContext;
  certificateId: number | null;
  fingerprintSha256: string;
}

export interface ServingLog {
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface ServedCertificatesOptions {
  /** Accounts' own subdomains get the default certificate without a lookup. */
  baseDomain: string;
  log: ServingLog;
  /** How often the change marker is read (default 1 s). */
  pollIntervalMs?: number;
  /** The longest a looked-up answer is kept even when nothing moved the marker (host mappings change too). */
  entryTtlMs?: number;
}

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_ENTRY_TTL_MS = 60_000;
/** Past this many names the cache starts over: random SNI names must not grow it without bound. */
const MAX_ENTRIES = 10_000;
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The TLS contexts served by SNI: a mapped domain gets its account's active
 * certificate, anything else the default. Contexts are built on first use
 * (one indexed read and one key decryption per name) and kept until the
 * change marker moves — at once for changes made by this process, within a
 * poll interval for changes made by any other process on the database.
 *
 * @example
 * const served = new ServedCertificates(deps, defaultCertificate, { baseDomain: 'localhost', log: app.log });
 * await served.start();
 * https.createServer({ SNICallback: served.sniCallback, ... });
 */
export class ServedCertificates {
  readonly defaultServed: ServedCertificate;
  readonly #deps: ServingDeps;
  readonly #options: Required<ServedCertificatesOptions>;
  readonly #entries = new Map<string, { served: ServedCertificate; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<ServedCertificate>>();
  #generation = 0;
  #version: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #unsubscribe: (() => void) | undefined;
  #invalidationWaiters: Array<() => void> = [];

  constructor(deps: ServingDeps, defaultCertificate: DefaultCertificate, options: ServedCertificatesOptions) {
    this.#deps = deps;
    this.#options = { pollIntervalMs: DEFAULT_POLL_MS, entryTtlMs: DEFAULT_ENTRY_TTL_MS, ...options };
    this.defaultServed = {
      context: tls.createSecureContext({ cert: defaultCertificate.certificatePem, key: defaultCertificate.privateKeyPem }),
      certificateId: null,
      fingerprintSha256: new X509Certificate(defaultCertificate.certificatePem).fingerprint256,
    };
  }

  /** Reads the marker once, then polls it and listens for this process's own changes. */
  async start(): Promise<void> {
    this.#version = await readCertificateChangesVersion(this.#deps.db);
    this.#unsubscribe = onCertificateChange(this.#deps.db, () => this.invalidate());
    this.#timer = setInterval(() => void this.checkForChanges(), this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  /** `tls.createServer`'s SNICallback: never fails a handshake for a lookup error, serves the default instead. */
  readonly sniCallback = (servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    this.certificateFor(servername).then(
      (served) => callback(null, served.context),
      (error: unknown) => {
        this.#options.log.error({ err: error, servername }, 'certificate lookup failed; serving the default certificate');
        callback(null, this.defaultServed.context);
      },
    );
  };

  /** The certificate a handshake naming `servername` gets. */
  async certificateFor(servername: string | undefined): Promise<ServedCertificate> {
    const host = (servername ?? '').toLowerCase().replace(/\.$/, '');
    const { baseDomain } = this.#options;
    if (!HOST_NAME.test(host) || host === baseDomain || host.endsWith(`.${baseDomain}`)) return this.defaultServed;
    const cached = this.#entries.get(host);
    if (cached !== undefined && cached.expiresAt > performance.now()) return cached.served;
    const inFlight = this.#loading.get(host);
    if (inFlight !== undefined) return inFlight;
    const generation = this.#generation;
    const loading = this.#load(host).then(
      ({ served, ttlMs }) => {
        this.#loading.delete(host);
        // A change that landed while this lookup ran may have made its answer stale: do not keep it.
        if (generation === this.#generation) {
          if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
          this.#entries.set(host, { served, expiresAt: performance.now() + ttlMs });
        }
        return served;
      },
      (error: unknown) => {
        this.#loading.delete(host);
        throw error;
      },
    );
    this.#loading.set(host, loading);
    return loading;
  }

  /** Drops every cached context; the next handshake of each name looks it up again. */
  invalidate(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#loading.clear();
    const waiters = this.#invalidationWaiters;
    this.#invalidationWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves at the next invalidation (a poll that saw the marker move, or a local change). */
  nextInvalidation(): Promise<void> {
    return new Promise((resolve) => this.#invalidationWaiters.push(resolve));
  }

  /** Reads the change marker; invalidates when it moved. Returns whether it did. */
  async checkForChanges(): Promise<boolean> {
    if (this.#polling) return false;
    this.#polling = true;
    try {
      const version = await readCertificateChangesVersion(this.#deps.db);
      const moved = this.#version !== undefined && version !== this.#version;
      this.#version = version;
      if (moved) this.invalidate();
      return moved;
    } catch (error) {
      // Keep serving what is cached; the next poll tries again.
      this.#options.log.warn({ err: error }, 'could not read the certificate change marker');
      return false;
    } finally {
      this.#polling = false;
    }
  }

  async #load(host: string): Promise<{ served: ServedCertificate; ttlMs: number }> {
    const now = this.#deps.clock.now();
    const rows = await findServableCertificatesConfidential(this.#deps.db, host, now.toISOString());
    for (const row of rows) {
      if (!anyNameMatches(parseHostnames(row.hostnames), host)) continue;
      try {
        const key = await decryptSecretConfidential(this.#deps.db, this.#deps.keyring, {
          accountId: Number(row.account_id),
          ...PRIVATE_KEY_LOCATION,
          rowId: Number(row.id),
          sealed: row.private_key_sealed,
        });
        const context = tls.createSecureContext({ cert: row.certificate_pem, key });
        const untilExpiry = Date.parse(row.not_after) - now.getTime();
        return {
          served: { context, certificateId: Number(row.id), fingerprintSha256: row.fingerprint_sha256 },
          ttlMs: Math.max(0, Math.min(this.#options.entryTtlMs, untilExpiry)),
        };
      } catch (error) {
        // Never the key: only which certificate could not be served, and why.
        this.#options.log.error(
          { certificateId: Number(row.id), accountId: Number(row.account_id), code: (error as { code?: unknown }).code },
          'an active certificate cannot be served; trying the next one',
        );
      }
    }
    return { served: this.defaultServed, ttlMs: this.#options.entryTtlMs };
  }
}
