import { describe, expect, it } from 'vitest';
import { assertAllowedHtml } from './html-allowlist.js';
import { checkAdvisoryMarkdown, isSafeLink, isSameOriginPath, renderAdvisoryMarkdown } from './advisory-markdown.js';

/** What a browser would act on: real tags (text `<` is escaped as `&lt;`), never what is shown as text. */
const tagsOf = (html: string): string[] => html.match(/<[a-z][^>]*>/gi) ?? [];

/** No tag that runs script, handles an event, frames, or points anywhere but http(s) or this server. */
function expectHarmless(html: string): void {
  for (const tag of tagsOf(html)) {
    expect(tag).not.toMatch(/^<(script|iframe|svg|object|embed|style|link|meta|form)/i);
    expect(tag).not.toMatch(/\son[a-z]+=/i);
    expect(tag).not.toMatch(/href="(?!https?:\/\/|\/|#|mailto:)/i);
    expect(tag).not.toMatch(/src="(?!\/[^/])/i);
  }
}

describe('advisory markdown', () => {
  it.each([
    ['a script element', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['an event handler', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['a javascript: link', '[x](javascript:alert(1))', '[x](javascript:alert(1))'],
    ['an upper-case JAVASCRIPT: link', '[x](JAVASCRIPT:alert(document.cookie))', '[x](JAVASCRIPT:alert(document.cookie))'],
    ['an entity-encoded javascript&#58; link', '[x](javascript&#58;alert(1))', '[x](javascript:alert(1))'],
    ['a hex-entity j', '[x](&#x6A;avascript:alert(1))', '[x](javascript:alert(1))'],
    ['a data: link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)', '[x](data:text/html;base64,'],
    ['a data: image', '![x](data:image/png;base64,iVBORw0KGgo=)', '![x](data:image/png;base64,iVBORw0KGgo=)'],
    ['a vbscript: link', '[x](vbscript:msgbox(1))', '[x](vbscript:msgbox(1))'],
    ['an autolink to javascript:', '<javascript:alert(1)>', '&lt;javascript:alert(1)&gt;'],
    ['an inline iframe', '<iframe src="https://evil.test"></iframe>', '&lt;iframe src=&quot;https://evil.test&quot;&gt;&lt;/iframe&gt;'],
    ['an svg with onload', '<svg onload=alert(1)>', '&lt;svg onload=alert(1)&gt;'],
  ])('renders %s as text', (_name, markdown, visible) => {
    const html = renderAdvisoryMarkdown(markdown);
    expectHarmless(html);
    expect(html).toContain(visible);
    expect(html).not.toContain('<a ');
  });

  it('keeps ordinary links, marks off-site ones nofollow, and loads images only from this server', () => {
    const html = renderAdvisoryMarkdown(
      '[help](https://example.test/help) [page](/hc/fr/articles/1) ![logo](/logo.png) ![tracker](https://evil.test/p.gif)',
    );
    expect(html).toContain('<a href="https://example.test/help" rel="nofollow noopener noreferrer">help</a>');
    expect(html).toContain('<a href="/hc/fr/articles/1">page</a>');
    expect(html).toContain('<img src="/logo.png" alt="logo">');
    expect(html).not.toContain('evil.test');
    expect(html).toContain(' tracker');
  });

  it('starts the body’s outline at the given level, without gaps, and turns table alignment into classes', () => {
    expect(renderAdvisoryMarkdown('# A\n## B', 2)).toBe('<h2>A</h2>\n<h3>B</h3>\n');
    expect(renderAdvisoryMarkdown('## A\n### B\n#### C', 2)).toBe('<h2>A</h2>\n<h3>B</h3>\n<h4>C</h4>\n');
    expect(renderAdvisoryMarkdown('# A', 4)).toBe('<h4>A</h4>\n');
    expect(renderAdvisoryMarkdown('# A\n###### F', 4)).toContain('<h6>F</h6>');
    expect(renderAdvisoryMarkdown('| a |\n|--:|\n| 1 |')).toContain('<td class="align-right">1</td>');
  });

  it('judges link schemes the way a browser would read them', () => {
    expect(isSafeLink('https://example.test')).toBe(true);
    expect(isSafeLink('mailto:security@example.test')).toBe(true);
    expect(isSafeLink('/relative#frag')).toBe(true);
    expect(isSafeLink('java\tscript:alert(1)')).toBe(false);
    expect(isSafeLink(' JaVaScRiPt:alert(1)')).toBe(false);
    expect(isSafeLink('data:text/html,x')).toBe(false);
    expect(isSafeLink('/\\evil.test')).toBe(false);
    expect(isSameOriginPath('/a.png')).toBe(true);
    expect(isSameOriginPath('//evil.test/a.png')).toBe(false);
    expect(isSameOriginPath('https://evil.test/a.png')).toBe(false);
  });

  it('checks produced HTML against the allowlist as a second line of defence', () => {
    const rules = { isSafeLink, isSameOriginPath };
    expect(() => assertAllowedHtml('<p><a href="/x">x</a></p>', rules)).not.toThrow();
    expect(() => assertAllowedHtml('<p><script>alert(1)</script></p>', rules)).toThrow(/tag <script>/);
    expect(() => assertAllowedHtml('<img src="/x" onerror="alert(1)">', rules)).toThrow(/onerror/);
    expect(() => assertAllowedHtml('<a href="javascript&#58;alert(1)">x</a>', rules)).toThrow(/link javascript:/);
    expect(() => assertAllowedHtml('<a href="/x" style="x">x</a>', rules)).toThrow(/style/);
    expect(() => assertAllowedHtml('<p>1 <2</p>', rules)).toThrow(/Disallowed markup/);
  });

  it('accepts every payload at write time, since each renders harmless', () => {
    expect(() => checkAdvisoryMarkdown('body', '<script>alert(1)</script> [x](javascript:alert(1))')).not.toThrow();
  });
});
