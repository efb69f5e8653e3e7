import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './return-to.js';

describe('safeReturnPath', () => {
  const origin = 'https://acme.localhost:3443';

  it('keeps a path, query and fragment on the same origin', () => {
    expect(safeReturnPath('/hc/en-us?page=2#top', origin)).toBe('/hc/en-us?page=2#top');
    expect(safeReturnPath('https://acme.localhost:3443/agent/tickets/1', origin)).toBe('/agent/tickets/1');
  });

  it('sends anything else to the root', () => {
    for (const returnTo of [
      undefined,
      '',
      'https://evil.test/',
      '//evil.test/x',
      '/\\evil.test/x',
      '\\\\evil.test',
      '/\t/evil.test',
      'http://acme.localhost:3443/',
      'https://acme.localhost/',
      'https://globex.localhost:3443/',
      'javascript:alert(1)',
      'data:text/html,hi',
    ]) {
      expect(safeReturnPath(returnTo, origin)).toBe('/');
    }
  });

  it('encodes what could split a header', () => {
    expect(safeReturnPath('/a\r\nSet-Cookie: x=1', origin)).not.toMatch(/[\r\n]/);
  });
});
