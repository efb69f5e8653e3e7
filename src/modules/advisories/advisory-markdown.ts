import MarkdownIt from 'markdown-it';
import { AppError } from '../../errors.js';
import { assertAllowedHtml } from './html-allowlist.js';

/** Schemes a link in an advisory may use; everything else (javascript:, data:, vbscript:, ...) stays text. */
const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);

// Browsers drop ASCII whitespace and control characters inside a scheme ("java\tscript:").
// eslint-disable-next-line no-control-regex -- finding control characters is the purpose of this pattern
const IGNORED_IN_SCHEME = /[\u0000-\u0020\u007f-\u009f]/g;

/**
 * True for a relative reference or an http, https or mailto URL. Anything
 * with a colon before its first `/`, `?` or `#` is a scheme and must be listed.
 */
export function isSafeLink(url: string): boolean {
  const compact = url.replace(IGNORED_IN_SCHEME, '').toLowerCase();
  if (compact.includes('\\')) return false;
  const scheme = /^([^/?#]*):/.exec(compact);
  return scheme === null || LINK_SCHEMES.has(scheme[1] ?? '');
}

/** A path on this server ("/logo.png"); images load nothing from anywhere else. */
export function isSameOriginPath(url: string): boolean {
  return /^\/(?![/\\])/.test(url) && !url.includes('\\') && isSafeLink(url);
}

/** The level the body's topmost heading takes, so body sections sit under the page's own headings. */
const TOP_HEADING_LEVEL = 'topHeadingLevel';
const attribute = (value: string | number | null): string => (value === null ? '' : String(value));

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.validateLink = isSafeLink;

markdown.core.ruler.push('advisory_page_structure', (state) => {
  const levels = state.tokens.filter((token) => token.type === 'heading_open').map((token) => Number(token.tag.slice(1)));
  // Authors write `#` or `##` for sections; either way the outline starts at the given level, without gaps.
  const offset = levels.length === 0 ? 0 : Number(state.env[TOP_HEADING_LEVEL] ?? 2) - Math.min(...levels);
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.max(1, Math.min(6, Number(token.tag.slice(1)) + offset))}`;
    }
    // Table alignment as a class, so the page's CSP needs no inline style attributes.
    if (token.type === 'th_open' || token.type === 'td_open') {
      const align = /^text-align:(left|right|center)$/.exec(attribute(token.attrGet('style')));
      token.attrs = align === null ? null : [['class', `align-${align[1] ?? 'left'}`]];
    }
  }
});

const renderImage = markdown.renderer.rules.image;
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  if (token === undefined || renderImage === undefined) return '';
  if (!isSameOriginPath(attribute(token.attrGet('src')))) {
    return markdown.utils.escapeHtml(self.renderInlineAsText(token.children ?? [], options, env));
  }
  return renderImage(tokens, index, options, env, self);
};

markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  const token = tokens[index];
  if (token !== undefined && /^(https?:)?\/\//i.test(attribute(token.attrGet('href'))))
    token.attrSet('rel', 'nofollow noopener noreferrer');
  return self.renderToken(tokens, index, options);
};

/**
 * Renders advisory markdown to HTML that can go into a public page as it is:
 * raw HTML is escaped (`html: false`), links keep only safe schemes, images
 * only paths on this server, the topmost heading takes `topHeadingLevel`, and the
 * result is checked against a small allowlist of tags and attributes.
 *
 * @example
 * renderAdvisoryMarkdown('# Hi\n[x](javascript:alert(1))', 2); // '<h2>Hi</h2>\n<p>[x](javascript:alert(1))</p>\n'
 */
export function renderAdvisoryMarkdown(source: string, topHeadingLevel = 2): string {
  const html = markdown.render(source, { [TOP_HEADING_LEVEL]: topHeadingLevel });
  assertAllowedHtml(html, { isSafeLink, isSameOriginPath });
  return html;
}

/** Renders for storage-time checking: a body whose HTML fails the allowlist is refused with a 422. */
export function checkAdvisoryMarkdown(field: string, source: string): void {
  try {
    renderAdvisoryMarkdown(source);
  } catch (error) {
    throw new AppError('RecordInvalid', `${field} renders to HTML this site does not publish; remove the construct and try again.`, {
      details: { [field]: ['renders to disallowed HTML'] },
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}
