/** Tags the advisory renderer may produce, with the attributes each may carry. */
const ALLOWED_TAGS: Record<string, readonly string[]> = {
  p: [],
  br: [],
  hr: [],
  h2: [],
  h3: [],
  h4: [],
  h5: [],
  h6: [],
  em: [],
  strong: [],
  s: [],
  code: ['class'],
  pre: [],
  blockquote: [],
  ul: [],
  ol: ['start'],
  li: [],
  table: [],
  thead: [],
  tbody: [],
  tr: [],
  th: ['class'],
  td: ['class'],
  a: ['href', 'title', 'rel'],
  img: ['src', 'alt', 'title'],
};

const TAG_AT = /^<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*\/?>/;
const ATTRIBUTE = /\s+([a-z-]+)="([^"<>]*)"/g;

const decodeAttribute = (value: string): string =>
  value
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

export interface UrlRules {
  isSafeLink(url: string): boolean;
  isSameOriginPath(url: string): boolean;
}

function checkAttribute(tag: string, name: string, rawValue: string, rules: UrlRules): string | undefined {
  if (!(ALLOWED_TAGS[tag] ?? []).includes(name)) return `attribute ${name} on <${tag}>`;
  const value = decodeAttribute(rawValue);
  if (name === 'href' && !rules.isSafeLink(value)) return `link ${value}`;
  if (name === 'src' && !rules.isSameOriginPath(value)) return `image source ${value}`;
  if (name === 'class' && !/^(align-(left|right|center)|language-\S+)$/.test(value)) return `class ${value}`;
  if (name === 'start' && !/^\d{1,9}$/.test(value)) return `list start ${value}`;
  if (name === 'rel' && value !== 'nofollow noopener noreferrer') return `rel ${value}`;
  return undefined;
}

/**
 * Defence in depth behind markdown-it: every `<` in the HTML must open or close
 * an allowed tag whose attributes are allowed and whose URLs are safe. Text is
 * escaped by the renderer, so anything else means the renderer was tricked.
 */
export function assertAllowedHtml(html: string, rules: UrlRules): void {
  let from = 0;
  for (let at = html.indexOf('<', from); at !== -1; at = html.indexOf('<', from)) {
    const match = TAG_AT.exec(html.slice(at, at + 4096));
    if (match === null) throw new Error(`Disallowed markup at offset ${at}`);
    const [whole, closing, tag = '', attributes = ''] = match;
    if (!(tag in ALLOWED_TAGS)) throw new Error(`Disallowed tag <${tag}>`);
    if (closing === '/' && attributes !== '') throw new Error(`Attributes on closing tag </${tag}>`);
    for (const [, name = '', value = ''] of attributes.matchAll(ATTRIBUTE)) {
      const problem = checkAttribute(tag, name, value, rules);
      if (problem !== undefined) throw new Error(`Disallowed ${problem}`);
    }
    from = at + whole.length;
  }
}
