import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Queryable } from '../../db/database.js';
import type { Account } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { accountOrigin } from './account-urls.js';
import { findAccountByHostMapping, findAccountBySubdomain } from './accounts.repo.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account the Host header names; null when it names none. */
    account: Account | null;
  }
}

export type HostName = { kind: 'subdomain'; subdomain: string } | { kind: 'mapped'; host: string } | { kind: 'none' };

/** A Host header as every check here compares it: lower case, without its port or a trailing dot. */
export const hostOf = (hostHeader: string): string => hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');

/**
 * Whether a Host header names the operator host (`RIPOSTE_OPS_HOST`, by
 * default the bare base domain), compared as tenancy compares hosts.
 *
 * @example
 * isOperatorHost('localhost:3000', { baseDomain: 'localhost', opsHost: undefined }) // true
 * isOperatorHost('acme.localhost:3000', { baseDomain: 'localhost', opsHost: undefined }) // false
 */
export function isOperatorHost(hostHeader: string | undefined, config: { baseDomain: string; opsHost?: string | undefined }): boolean {
  return hostHeader !== undefined && hostOf(hostHeader) === (config.opsHost ?? config.baseDomain);
}

const IP_HOST = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])$/i;

/**
 * Reads which account a Host header names: `{subdomain}.{baseDomain}`, a
 * host-mapped domain, or none (the bare base domain or an IP address). The one
 * reading of the request's host: tenancy, the operator host and links all
 * go through it, and it reads the `Host` header only (a proxy's
 * `X-Forwarded-Host` never chooses an account or a link).
 *
 * @example
 * parseHost('acme.localhost:3000', 'localhost') // { kind: 'subdomain', subdomain: 'acme' }
 */
export function parseHost(hostHeader: string | undefined, baseDomain: string): HostName {
  if (hostHeader === undefined || hostHeader === '') return { kind: 'none' };
  const host = hostOf(hostHeader);
  if (host === baseDomain || IP_HOST.test(host)) return { kind: 'none' };
  const suffix = `.${baseDomain}`;
  if (host.endsWith(suffix)) {
    const subdomain = host.slice(0, -suffix.length);
    // Only one label: a.b.localhost names no account.
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(subdomain) ? { kind: 'subdomain', subdomain } : { kind: 'none' };
  }
  return /^[a-z0-9.-]+$/.test(host) ? { kind: 'mapped', host } : { kind: 'none' };
}

const CACHE_MS = 5_000;

const cacheKeyOf = (name: Exclude<HostName, { kind: 'none' }>): string =>
  name.kind === 'subdomain' ? `s:${name.subdomain}` : `h:${name.host}`;

/** Host → account, cached briefly so a request costs no lookup on the hot path. */
export class AccountResolver {
  private readonly cache = new Map<string, { account: Account | null; expires: number }>();
  constructor(
    private readonly db: Queryable,
    private readonly baseDomain: string,
  ) {}

  async resolve(hostHeader: string | undefined): Promise<Account | null> {
    return this.resolveName(parseHost(hostHeader, this.baseDomain));
  }

  /** The account `name` names when known without a query (none, or cached); undefined when it must be looked up. */
  known(name: HostName): Account | null | undefined {
    if (name.kind === 'none') return null;
    const cached = this.cache.get(cacheKeyOf(name));
    return cached !== undefined && cached.expires > Date.now() ? cached.account : undefined;
  }

  async resolveName(name: HostName): Promise<Account | null> {
    if (name.kind === 'none') return null;
    const known = this.known(name);
    if (known !== undefined) return known;
    const key = cacheKeyOf(name);
    const account =
      (name.kind === 'subdomain'
        ? await findAccountBySubdomain(this.db, name.subdomain)
        : await findAccountByHostMapping(this.db, name.host)) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { account, expires: Date.now() + CACHE_MS });
    return account;
  }

  forget(): void {
    this.cache.clear();
  }
}

/** The account the request's Host names, or a 404 that says which host was not found. */
export function requireHostAccount(request: FastifyRequest): Account {
  if (request.account === null) {
    throw new AppError(
      'AccountNotFound',
      `No account answers at ${request.headers.host ?? 'this host'}. Use your account's address, {subdomain}.{base domain} or its mapped domain.`,
    );
  }
  return request.account;
}

export const tenancyPlugin = fp(
  (app: FastifyInstance, options: { resolver: AccountResolver; baseDomain: string; publicUrl: string }, done: (error?: Error) => void) => {
    app.decorateRequest('account', null);
    const settle = (request: FastifyRequest, name: HostName, account: Account | null): void => {
      request.account = account;
      if (account !== null)
        request.publicOrigin = accountOrigin(options.publicUrl, account, name.kind === 'mapped' ? 'mapped' : 'subdomain');
    };
    // A callback hook: a host already resolved, nearly every request, is answered without a promise.
    app.addHook('onRequest', (request, _reply, done) => {
      const name = parseHost(request.headers.host, options.baseDomain);
      const known = options.resolver.known(name);
      if (known !== undefined) {
        settle(request, name, known);
        return done();
      }
      options.resolver.resolveName(name).then((account) => {
        settle(request, name, account);
        done();
      }, done);
    });
    done();
  },
  { name: 'riposte-tenancy' },
);
