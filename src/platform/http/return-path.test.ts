import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './return-path.js';

describe('safeReturnPath', () => {
  const origin = 'https://acme.localhost:3443';

  it('keeps a path, query and fragment on the same origin', () => {
    expect(safeReturnPath('/hc/en-us?page=2#top', origin)).toBe('/hc/en-us?page=2#top');
    expect(safeReturnPath('https://acme.localhost:3443/agent/tickets/1', origin)).toBe('/agent/tickets/1');
    expect(safeReturnPath('agent/tickets', origin)).toBe('/agent/tickets');
    // A scheme-relative form of the origin's own scheme stays on the origin.
    expect(safeReturnPath('https:evil.test', origin)).toBe('/evil.test');
    expect(safeReturnPath('/search?q=//evil.test', origin)).toBe('/search?q=//evil.test');
  });

  // Each of these is a way to make a browser leave the origin (or run script) through a Location header.
  const hostile = [
    undefined,
    null,
    '',
    'https://evil.test/',
    'http://evil.test',
    '//evil.test/x',
    '///evil.test/x',
    '/.//evil.test/x',
    '/./..//evil.test/x',
    '/a/..//evil.test',
    '/\\evil.test/x',
    '\\\\evil.test',
    '\\/evil.test',
    '/\t/evil.test',
    '/\n/evil.test',
    '/\r\n/evil.test',
    '\t//evil.test',
    ' //evil.test',
    '%2F%2Fevil.test',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'http://acme.localhost:3443/',
    'https://acme.localhost/',
    'https://globex.localhost:3443/',
    'https://acme.localhost:3443@evil.test/',
    'https://user:pass@acme.localhost:3443/',
    'https://аcme.localhost:3443/',
    'https://xn--cme-8cd.localhost:3443/',
    'https://acme.localhost.evil.test:3443/',
    '/%2F%2Fevil.test',
    '/%2f/evil.test',
    '/%5C%5Cevil.test',
    '/a\u0000b',
  ];
  it.each(hostile.map((value) => [JSON.stringify(value), value]))('sends %s to the root', (_label, returnTo) => {
    expect(safeReturnPath(returnTo, origin)).toBe('/');
  });

  it('encodes what could split a header or inject markup', () => {
    expect(safeReturnPath('/a"><script>', origin)).toBe('/a%22%3E%3Cscript%3E');
  });
});
