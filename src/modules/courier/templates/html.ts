import { escapeHtml } from '../../../platform/html-escape.js';

/**
 * HTML for mail, built so that nothing interpolated can become markup: the
 * `html` tag escapes every value unless it is already `SafeHtml` (made by
 * this tag), so a name like `<script>` arrives as text.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function fragment(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(fragment).join('');
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return escapeHtml(String(value));
  // Objects have no meaningful text: refuse rather than print "[object Object]" into a customer's mail.
  throw new TypeError('Only text, numbers, lists and SafeHtml can be put in mail HTML.');
}

/**
 * @example
 * html`<p>Hello ${name}</p>`.value; // name '<b>' gives '<p>Hello &lt;b&gt;</p>'
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += fragment(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Only absolute http(s) links are put in an href; anything else (`javascript:`) becomes inert text. */
export function link(url: string, label?: string): SafeHtml {
  if (!/^https?:\/\//i.test(url)) return html`${label ?? url}`;
  return html`<a href="${url}">${label ?? url}</a>`;
}

/** The frame of every message: a plain, readable page without remote images or scripts. */
export function layout(locale: string, title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="${locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>${title}</title>
      </head>
      <body
        style="font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; line-height: 1.5; color: #1f2933; max-width: 640px; margin: 0 auto; padding: 16px;"
      >
        ${body}
      </body>
    </html> `.value;
}
