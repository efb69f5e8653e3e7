/**
 * The hostile sweep's requests for one route, by phase: credentials, bodies,
 * values and headers. Each is built from the route's shape alone, so a route
 * added tomorrow gets every attack without an entry anywhere.
 */
import crypto from 'node:crypto';
import type { Attempt } from './hostile-sweep.js';
import {
  fillPath,
  jsonWith,
  leavesOf,
  objectsOf,
  pathParams,
  plainValue,
  queryNamesOf,
  withValue,
  type RouteShape,
} from './hostile-routes.js';
import { deeplyNested, deeplyNestedArray, hostileValueFor, VALUE_CATEGORIES } from './hostile-values.js';
import { OPERATOR_HOST, ownAuthorization, type HostileWorld } from './hostile-world.js';

/** An id no record has. */
const NO_RECORD = '999999';
const JSON_TYPE = { 'content-type': 'application/json' };

type Headers = Record<string, string>;
const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const randomSecret = (): string => crypto.randomBytes(20).toString('hex');

export const realmHost = (world: HostileWorld, shape: RouteShape): string => (shape.operator ? OPERATOR_HOST : world.acme.host);

/** The route's own caller: acme's admin by API token, or on operator routes the signed-in operator. */
export function ownHeaders(world: HostileWorld, shape: RouteShape): Headers {
  return shape.operator
    ? { host: OPERATOR_HOST, cookie: world.operator.cookie, 'x-csrf-token': world.operator.csrf }
    : { host: world.acme.host, authorization: ownAuthorization(world) };
}

/** The URL with acme's (or `records`') records in its parameters. */
export const urlOf = (shape: RouteShape, records: Record<string, string>): string =>
  fillPath(shape.url, (name, after) => (name === '*' ? 'x' : encodeURIComponent(records[name] ?? records[after] ?? NO_RECORD)));

/** The plainest body the route accepts, as JSON, when the method carries one. */
function plainBody(shape: RouteShape): { payload?: string; headers: Headers } {
  if (shape.body === undefined && (shape.method === 'GET' || shape.method === 'DELETE')) return { headers: {} };
  return { payload: JSON.stringify(plainValue(shape.body)), headers: JSON_TYPE };
}

const sessionHeaders = (session: { cookie: string; csrfToken: string }): Headers => ({
  cookie: session.cookie,
  'x-csrf-token': session.csrfToken,
});

/** The credentials every route is tried with, whatever its realm: none, wrong, stale, tenant B's, acme's, the operator's. */
function credentialTries(world: HostileWorld): Array<[Attempt['attack'], string, Headers]> {
  const { acme, globex, stale } = world;
  const victimToken = `${acme.victim.email}/token`;
  return [
    ['no credentials', 'none', {}],
    ['wrong credentials', 'wrong API token', { authorization: basic(victimToken, randomSecret()) }],
    ['wrong credentials', 'wrong password', { authorization: basic(acme.victim.email, 'not-the-password') }],
    ['wrong credentials', 'unknown bearer', { authorization: `Bearer ${randomSecret()}` }],
    ['wrong credentials', 'malformed Basic', { authorization: 'Basic !!!not-base64' }],
    ['wrong credentials', 'Basic without a colon', { authorization: `Basic ${Buffer.from(acme.victim.email).toString('base64')}` }],
    ['wrong credentials', 'huge bearer', { authorization: `Bearer ${'x'.repeat(16_384)}` }],
    ['wrong credentials', 'unknown scheme', { authorization: 'Digest username="x"' }],
    ['stale credentials', 'revoked API token', { authorization: basic(victimToken, stale.apiToken) }],
    ['stale credentials', 'expired OAuth token', { authorization: `Bearer ${stale.bearer}` }],
    ['stale credentials', 'signed-out session', sessionHeaders(stale.session)],
    ['stale credentials', 'signed-out staff session', { cookie: stale.staffCookie, 'x-csrf-token': 'x' }],
    ['foreign credentials', "B's API token", { authorization: basic(`${globex.admin.email}/token`, globex.apiToken) }],
    ['foreign credentials', "B's OAuth token", { authorization: `Bearer ${globex.bearer}` }],
    ['foreign credentials', "B's session", sessionHeaders(globex.session)],
    ['customer credentials', "A's API token", { authorization: ownAuthorization(world) }],
    ['customer credentials', "A's session", sessionHeaders(acme.session)],
    ['customer credentials', "the operator's cookie", { cookie: world.operator.cookie, 'x-csrf-token': world.operator.csrf }],
  ];
}

/**
 * Every credential try on the route's host (acme's, or the operator host: so
 * customer credentials meet the operator routes), acme's own caller on tenant
 * B's record ids, and the route's own caller (acme's token and session, or
 * the operator).
 */
export function credentialAttempts(world: HostileWorld, shape: RouteShape): Attempt[] {
  const host = realmHost(world, shape);
  const { payload, headers: bodyHeaders } = plainBody(shape);
  const url = urlOf(shape, world.acme.records);
  const attempt = (attack: Attempt['attack'], detail: string, headers: Headers, extra: Partial<Attempt> = {}): Attempt => ({
    shape,
    attack,
    detail,
    url,
    headers: { host, ...bodyHeaders, ...headers },
    payload,
    ...extra,
  });
  const attempts = credentialTries(world).map(([attack, detail, headers]) => attempt(attack, detail, headers));
  const own = ownHeaders(world, shape);
  // An operator reads any account that granted staff access; a customer never reads another's.
  if (pathParams(shape.url).length > 0)
    attempts.push(
      attempt('foreign records', "B's record ids", own, { url: urlOf(shape, world.globex.records), privileged: shape.operator }),
    );
  // Routes for a browser take acme's session where its token does not count.
  if (!shape.operator) attempts.push(attempt('baseline', 'own session', sessionHeaders(world.acme.session)));
  attempts.push(attempt('baseline', 'own credentials', own, { privileged: shape.operator }));
  return attempts;
}

/** Bodies over the limit, not JSON, of the wrong type or shape, nested past reason, polluting prototypes. */
export function bodyAttempts(world: HostileWorld, shape: RouteShape): Attempt[] {
  const own = ownHeaders(world, shape);
  const base = plainValue(shape.body);
  const baseJson = JSON.stringify(base);
  const limit = world.deps.config.bodyLimitBytes;
  const malformed: Array<[string, string, string]> = [
    ['invalid JSON', 'application/json', '{"a":'],
    ['empty JSON', 'application/json', ''],
    ['JSON null', 'application/json', 'null'],
    ['a bare 1e400', 'application/json', '1e400'],
    ['an array', 'application/json', '[]'],
    ['objects 10000 deep', 'application/json', deeplyNested(10_000)],
    ['arrays 10000 deep', 'application/json', deeplyNestedArray(10_000)],
    [
      'prototype pollution',
      'application/json',
      `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${baseJson.slice(1)}`,
    ],
    ['XML', 'text/xml', '<a><b>&xxe;</b></a>'],
    ['a form', 'application/x-www-form-urlencoded', 'a=1&a[b]=2&__proto__[polluted]=1'],
    ['broken multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n'],
    ['UTF-7 JSON', 'application/json; charset=utf-7', '+ADw-script+AD4-alert(1)+ADw-/script+AD4-'],
    ['a bogus content type', 'application/x-evil', baseJson],
    ...objectsOf(shape.body).map((path): [string, string, string] => [
      `an array for ${path.join('.')}`,
      'application/json',
      JSON.stringify(withValue(base, path, [])),
    ]),
  ];
  const url = urlOf(shape, world.acme.records);
  return [
    {
      shape,
      attack: 'oversized body',
      detail: `${limit + 1} bytes`,
      url,
      headers: { ...own, ...JSON_TYPE },
      payload: `{"padding":"${'x'.repeat(limit)}"}`,
    },
    ...malformed.map(([detail, type, payload]): Attempt => ({
      shape,
      attack: 'malformed body',
      detail,
      url,
      headers: { ...own, 'content-type': type },
      payload,
    })),
  ];
}

/** One hostile value of each category in every body field (as JSON, and as a form where flat), path and query parameter. */
export function valueAttempts(world: HostileWorld, shape: RouteShape, seed: number): Attempt[] {
  const own = ownHeaders(world, shape);
  const body = plainBody(shape);
  const base = plainValue(shape.body);
  const url = urlOf(shape, world.acme.records);
  const attempts: Attempt[] = [];
  for (const category of VALUE_CATEGORIES) {
    const pick = (where: string, kind: 'string' | 'number' = 'string') =>
      hostileValueFor(seed, `${shape.method} ${shape.url} ${where}`, category, kind);
    for (const leaf of leavesOf(shape.body)) {
      const field = leaf.path.join('.');
      const value = pick(`body ${field}`, leaf.kind);
      const detail = `body ${field} = ${value.label}`;
      attempts.push({ shape, attack: category, detail, url, headers: { ...own, ...JSON_TYPE }, payload: jsonWith(base, leaf.path, value) });
      if (leaf.path.length === 1 && typeof base === 'object' && base !== null) {
        const form = Object.entries(base).map(
          ([name, plain]) => `${encodeURIComponent(name)}=${name === field ? value.url : encodeURIComponent(String(plain))}`,
        );
        const headers = { ...own, 'content-type': 'application/x-www-form-urlencoded' };
        attempts.push({ shape, attack: category, detail: `form ${detail}`, url, headers, payload: form.join('&') });
      }
    }
    for (const param of pathParams(shape.url)) {
      const value = pick(`path ${param.name}`);
      const hostile = fillPath(shape.url, (name, after) =>
        name === param.name
          ? value.url
          : name === '*'
            ? 'x'
            : encodeURIComponent(world.acme.records[name] ?? world.acme.records[after] ?? NO_RECORD),
      );
      attempts.push({
        shape,
        attack: category,
        detail: `path :${param.name} = ${value.label}`,
        url: hostile,
        headers: { ...own, ...body.headers },
        payload: body.payload,
      });
    }
    for (const name of queryNamesOf(shape)) {
      const value = pick(`query ${name}`);
      const detail = `query ${name} = ${value.label}`;
      attempts.push({
        shape,
        attack: category,
        detail,
        url: `${url}?${encodeURIComponent(name)}=${value.url}`,
        headers: { ...own, ...body.headers },
        payload: body.payload,
      });
    }
  }
  return attempts;
}

/** Host, X-Forwarded-* and Cookie headers an attacker controls, over the route's own credentials. */
export function headerAttempts(world: HostileWorld, shape: RouteShape): Attempt[] {
  const { acme, globex } = world;
  const host = realmHost(world, shape);
  const own = ownHeaders(world, shape);
  const body = plainBody(shape);
  const otherHost = shape.operator ? acme.host : globex.host;
  const hosts = [
    otherHost,
    'evil.test',
    '',
    `${'a'.repeat(5000)}.${host}`,
    `${host}@evil.test`,
    `evil.test@${host}`,
    `${host}:0`,
    `${host}:99999`,
    `${host}:x`,
    '[::1]:80',
  ];
  const forwarded: Headers[] = [
    { 'x-forwarded-host': 'evil.test' },
    { 'x-forwarded-host': otherHost, 'x-forwarded-proto': 'https' },
    { 'x-forwarded-for': '1.2.3.4, <script>alert(1)</script>' },
    { 'x-forwarded-for': `${'9'.repeat(5000)}, ::ffff:999.1.1.1` },
    { 'x-forwarded-proto': 'javascript', 'x-forwarded-port': '99999' },
    { forwarded: 'for=evil;host=evil.test;proto=https' },
  ];
  const pairs = Array.from({ length: 200 }, (_, index) => `c${index}=${'v'.repeat(40)}`).join('; ');
  const cookies: Array<[string, boolean]> = [
    ['riposte_session=%E0%A4%A; riposte_staff=%', false],
    ['riposte_session=%; riposte_staff=%ZZ%', false],
    [`riposte_session=${'%'.repeat(8000)}; riposte_staff=${'%'.repeat(8000)}`, false],
    ['=;;=; riposte_session=a; riposte_session=b; riposte_staff=', false],
    [pairs, false],
    [`${globex.session.cookie}; ${acme.session.cookie}`, true],
    [`${acme.session.cookie}; ${globex.session.cookie}`, true],
    [globex.session.cookie, true],
  ];
  const url = urlOf(shape, acme.records);
  const attempt = (attack: Attempt['attack'], detail: string, headers: Headers): Attempt => ({
    shape,
    attack,
    detail,
    url,
    headers: { ...own, ...body.headers, ...headers },
    payload: body.payload,
  });
  const withCookie = (cookie: string, instead: boolean): Headers => {
    if (instead) return { cookie, authorization: '', 'x-csrf-token': globex.session.csrfToken };
    return { cookie: own.cookie === undefined ? cookie : `${cookie}; ${own.cookie}` };
  };
  return [
    ...hosts.map((value) => attempt('hostile host', `Host ${JSON.stringify(value.slice(0, 40))}`, { host: value })),
    ...forwarded.map((headers) => attempt('forwarded headers', JSON.stringify(headers).slice(0, 60), headers)),
    ...cookies.map(([cookie, instead]) => attempt('hostile cookies', `Cookie ${cookie.slice(0, 40)}`, withCookie(cookie, instead))),
  ];
}
