import { escapeHtml as e } from '../../platform/html-escape.js';
import { advisoryPagePath } from './advisory-links.js';
import { isAdvisoryLocale, type AdvisoryLocale } from './advisory-locales.js';
import { renderAdvisoryMarkdown } from './advisory-markdown.js';
import { ENDONYMS, humanDate, PAGE_STRINGS, type AdvisoryPageStrings } from './advisory-page.strings.js';
import { ADVISORY_PAGE_CSS } from './advisory-page.style.js';
import type { PublicArticle } from './advisory.model.js';

export const atomFeedPath = (id: number, locale: string): string => `${advisoryPagePath(id, locale)}/updates.atom`;
export const articleJsonPath = (id: number, locale: string): string => `/api/v2/help_center/${locale}/articles/${id}.json`;

const time = (iso: string, locale: AdvisoryLocale): string => `<time datetime="${e(iso)}">${e(humanDate(iso, locale))}</time>`;

/** A link to another locale's page, marked with its language so readers and robots know it. */
const localeLink = (id: number, locale: string, text: string, current = false): string =>
  `<a href="${e(advisoryPagePath(id, locale))}" hreflang="${e(locale)}" lang="${e(locale)}"${current ? ' aria-current="page"' : ''}>${e(text)}</a>`;

function page(
  site: { locale: AdvisoryLocale; vendorName: string },
  title: string,
  head: string,
  main: { nav: string; body: string },
  footer: string,
): string {
  const { locale } = site;
  const words = PAGE_STRINGS[locale];
  const siteName = words.siteName(site.vendorName);
  return `<!doctype html>
<html lang="${e(locale)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · ${e(siteName)}</title>
${head}<style>${ADVISORY_PAGE_CSS}</style>
</head>
<body>
<a class="skip-link" href="#content">${e(words.skipLink)}</a>
<header class="site">
<p class="site-name">${e(siteName)}</p>
${main.nav}
</header>
<main id="content" tabindex="-1">
${main.body}
</main>
<footer class="site-footer">
${footer}
</footer>
</body>
</html>
`;
}

function notices(article: PublicArticle, words: AdvisoryPageStrings): string {
  const { translation, sourceLocale, id } = article;
  if (translation.isSource) return '';
  const language = words.languageInSentence[sourceLocale] ?? sourceLocale;
  const original = localeLink(id, sourceLocale, words.readOriginal);
  const parts: string[] = [];
  if (translation.machineTranslated) parts.push(`<p class="notice" role="note">${words.machineNotice(e(language), original)}</p>`);
  if (translation.outdated) parts.push(`<p class="notice" role="note">${words.outdatedNotice(e(language), original)}</p>`);
  return parts.join('\n');
}

function updatesSection(article: PublicArticle, words: AdvisoryPageStrings): string {
  const items = article.updates.map(({ seq, postedAt, body }) => {
    const note =
      body.locale !== article.locale
        ? `<p class="meta">${e(words.updateNotTranslated(words.languageInSentence[body.locale] ?? body.locale))}</p>\n`
        : body.machineTranslated
          ? `<p class="meta">${e(words.updateMachineTranslated)}</p>\n`
          : '';
    const lang = body.locale === article.locale ? '' : ` lang="${e(body.locale)}"`;
    return `<li id="update-${seq}">
<h3>${time(postedAt, article.locale)}</h3>
${note}<div${lang}>
${renderAdvisoryMarkdown(body.body, 4)}</div>
</li>`;
  });
  const list = items.length === 0 ? `<p>${e(words.noUpdates)}</p>` : `<ol class="updates">\n${items.join('\n')}\n</ol>`;
  return `<section aria-labelledby="updates-heading">
<h2 id="updates-heading">${e(words.updates)}</h2>
${list}
</section>`;
}

function languageNav(id: number, locales: readonly string[], current: string, words: AdvisoryPageStrings): string {
  const links = locales.map((locale) => `<li>${localeLink(id, locale, ENDONYMS[locale] ?? locale, locale === current)}</li>`);
  return `<nav aria-label="${e(words.languagesLabel)}"><ul>${links.join('')}</ul></nav>`;
}

/**
 * The public page of an advisory: server-rendered, complete without
 * JavaScript, every link on this server. Pair it with `ADVISORY_PAGE_CSP`.
 *
 * @example
 * reply.type('text/html; charset=utf-8').header('content-security-policy', ADVISORY_PAGE_CSP).send(renderAdvisoryPage(article, 'Acme Cloud'));
 */
export function renderAdvisoryPage(article: PublicArticle, vendorName: string): string {
  const { id, locale, translation } = article;
  const words = PAGE_STRINGS[locale];
  const locales = article.translations.map((candidate) => candidate.locale);
  const head = [
    ...locales.map((other) => `<link rel="alternate" hreflang="${e(other)}" href="${e(advisoryPagePath(id, other))}">\n`),
    `<link rel="alternate" type="application/atom+xml" title="${e(words.feedLink)}" href="${e(atomFeedPath(id, locale))}">\n`,
  ].join('');
  const edited = translation.editedAt <= article.publishedAt ? '' : ` · ${e(words.edited)} ${time(translation.editedAt, locale)}`;
  const body = `<article aria-labelledby="title">
<h1 id="title">${e(translation.title)}</h1>
<p class="meta">${e(words.published)} ${time(article.publishedAt, locale)}${edited}</p>
${notices(article, words)}
${renderAdvisoryMarkdown(translation.body, 2)}
${updatesSection(article, words)}
</article>`;
  const footer = `<ul>
<li><a href="${e(atomFeedPath(id, locale))}" type="application/atom+xml">${e(words.feedLink)}</a></li>
<li><a href="${e(articleJsonPath(id, locale))}" type="application/json">${e(words.jsonLink)}</a></li>
</ul>`;
  return page({ locale, vendorName }, translation.title, head, { nav: languageNav(id, locales, locale, words), body }, footer);
}

/** A readable 404 for people who follow a link: what is missing and, when known, the locales to read it in. */
export function renderAdvisoryNotFoundPage(
  requestedLocale: string,
  id: number,
  message: string,
  availableLocales: string[],
  vendorName: string,
): string {
  const locale: AdvisoryLocale = isAdvisoryLocale(requestedLocale) ? requestedLocale : 'en';
  const words = PAGE_STRINGS[locale];
  const alternatives =
    availableLocales.length === 0
      ? ''
      : `<p>${e(words.availableIn)}</p>\n<ul>${availableLocales.map((other) => `<li>${localeLink(id, other, ENDONYMS[other] ?? other)}</li>`).join('')}</ul>`;
  const body = `<h1>${e(words.notFoundTitle)}</h1>\n<p lang="en">${e(message)}</p>\n${alternatives}`;
  return page({ locale, vendorName }, words.notFoundTitle, '', { nav: '', body }, '');
}
