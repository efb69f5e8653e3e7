import { describe, expect, it } from 'vitest';
import { cspSourceOf, redirectUriProblem, withQuery } from './redirect-uris.js';

describe('redirect URIs', () => {
  it('accepts https, loopback http and reverse-domain app schemes', () => {
    for (const uri of [
      'https://app.example/callback',
      'https://app.example:8443/cb?x=1',
      'http://localhost:8080/cb',
      'http://127.0.0.1/cb',
      'com.example.app:/oauth',
    ]) {
      expect(redirectUriProblem(uri), uri).toBeUndefined();
    }
  });

  it('refuses script and data schemes, plain http elsewhere, fragments, credentials and junk', () => {
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'http://app.example/cb',
      'https://app.example/cb#frag',
      'https://user:pass@app.example/cb',
      'myapp:/cb',
      '/relative/cb',
      "https://app.example/cb' OR 1=1",
      `https://app.example/${'a'.repeat(2100)}`,
    ]) {
      expect(redirectUriProblem(uri), uri).toBeTypeOf('string');
    }
  });

  it('adds parameters to the query it already has', () => {
    expect(withQuery('https://app.example/cb?tenant=1', { code: 'a b&c', state: undefined })).toBe(
      'https://app.example/cb?tenant=1&code=a+b%26c',
    );
    expect(withQuery('com.example.app:/oauth', { error: 'access_denied' })).toBe('com.example.app:/oauth?error=access_denied');
  });

  it('names the CSP source of a redirect URI', () => {
    expect(cspSourceOf('https://app.example:8443/cb?x=1')).toBe('https://app.example:8443');
    expect(cspSourceOf('com.example.app:/oauth')).toBe('com.example.app:');
  });
});
