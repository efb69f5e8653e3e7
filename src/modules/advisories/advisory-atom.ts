import { advisoryPagePath } from './advisory-links.js';
import { renderAdvisoryMarkdown } from './advisory-markdown.js';
import { humanDate, PAGE_STRINGS } from './advisory-page.strings.js';
import { atomFeedPath } from './advisory-page.html.js';
import type { PublicArticle } from './advisory.model.js';

// XML 1.0 forbids these characters even escaped; markdown may carry them.
// eslint-disable-next-line no-control-regex -- finding control characters is the purpose of this pattern
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escapes text for XML content and double-quoted attributes, dropping characters XML cannot carry. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/**
 * An Atom 1.0 feed (RFC 4287) of an advisory's updates in the reader's
 * locale, newest first: one entry per update, its HTML escaped as
 * `type="html"` content. `baseUrl` makes the ids and links absolute.
 *
 * @example
 * reply.type('application/atom+xml; charset=utf-8').send(renderUpdatesFeed(article, 'https://status.example', 'Acme Cloud'));
 */
export function renderUpdatesFeed(article: PublicArticle, baseUrl: string, vendorName: string): string {
  const x = escapeXml;
  const { id, locale, translation } = article;
  const words = PAGE_STRINGS[locale];
  const pageUrl = `${baseUrl}${advisoryPagePath(id, locale)}`;
  const feedUrl = `${baseUrl}${atomFeedPath(id, locale)}`;
  const updated = article.updates[0]?.postedAt ?? article.publishedAt;
  const entries = article.updates.map(
    ({ seq, postedAt, body }) => `  <entry>
    <id>${x(`${pageUrl}#update-${seq}`)}</id>
    <title>${x(words.updateTitle(humanDate(postedAt, locale)))}</title>
    <published>${x(postedAt)}</published>
    <updated>${x(postedAt)}</updated>
    <link rel="alternate" type="text/html" href="${x(`${pageUrl}#update-${seq}`)}"/>
    <content type="html" xml:lang="${x(body.locale)}">${x(renderAdvisoryMarkdown(body.body, 4))}</content>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${x(locale)}">
  <id>${x(feedUrl)}</id>
  <title>${x(`${translation.title} · ${words.updates}`)}</title>
  <updated>${x(updated)}</updated>
  <author><name>${x(words.siteName(vendorName))}</name></author>
  <link rel="self" type="application/atom+xml" href="${x(feedUrl)}"/>
  <link rel="alternate" type="text/html" hreflang="${x(locale)}" href="${x(pageUrl)}"/>
${entries.join('')}</feed>
`;
}
