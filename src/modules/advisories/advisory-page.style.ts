import crypto from 'node:crypto';

/**
 * The advisory pages' only style sheet, inline. Colours meet WCAG AA (most
 * AAA) in light and dark schemes; focus is always visible.
 */
export const ADVISORY_PAGE_CSS = `
:root { color-scheme: light dark; --text: #1a1a1a; --muted: #4a4a4a; --bg: #ffffff; --link: #0b57d0; --rule: #d0d0d0;
  --note-bg: #fff4ce; --note-border: #8a6d00; --focus: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --text: #ececec; --muted: #c2c2c2; --bg: #121212; --link: #8ab4f8; --rule: #3a3a3a;
    --note-bg: #2b2410; --note-border: #e0b100; --focus: #ffb4ab; }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--text); }
body { margin: 0; font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); text-underline-offset: .15em; }
a:focus-visible, main:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip-link { position: absolute; left: -999rem; top: .5rem; padding: .5rem 1rem; background: var(--bg); color: var(--link); z-index: 1; }
.skip-link:focus { left: .5rem; }
.site, main, .site-footer { max-width: 44rem; margin: 0 auto; padding: 0 1.25rem; }
.site { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; justify-content: space-between; align-items: baseline;
  padding-top: 1.25rem; padding-bottom: .75rem; border-bottom: 1px solid var(--rule); }
.site-name { margin: 0; font-weight: 600; }
.site nav ul, .site-footer ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
[aria-current="page"] { color: var(--text); font-weight: 600; text-decoration: none; }
h1 { font-size: 2rem; line-height: 1.2; margin: 1.5rem 0 .5rem; }
h2 { font-size: 1.4rem; margin: 2rem 0 .5rem; }
h3, h4, h5, h6 { font-size: 1.1rem; margin: 1.5rem 0 .25rem; }
.meta { color: var(--muted); margin-top: 0; }
.notice { background: var(--note-bg); border-left: 4px solid var(--note-border); padding: .75rem 1rem; margin: 1rem 0; }
pre { overflow-x: auto; padding: .75rem; border: 1px solid var(--rule); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .95em; }
blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 4px solid var(--rule); color: var(--muted); }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid var(--rule); padding: .35rem .6rem; text-align: left; vertical-align: top; }
.align-right { text-align: right; } .align-center { text-align: center; }
img { max-width: 100%; height: auto; }
.updates { list-style: none; margin: 0; padding: 0; }
.updates > li { border-top: 1px solid var(--rule); padding-top: .25rem; }
.site-footer { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: 1rem; padding-bottom: 2rem; color: var(--muted); }
@media print { .skip-link, .site nav, .site-footer { display: none; } a { color: inherit; } }
`;

const STYLE_HASH = `'sha256-${crypto.createHash('sha256').update(ADVISORY_PAGE_CSS).digest('base64')}'`;

/**
 * Nothing but the page's own style block may apply; no script, frame, form,
 * font or request to anywhere else. Images only from this server.
 */
export const ADVISORY_PAGE_CSP = `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
