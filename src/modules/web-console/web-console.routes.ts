import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build` puts the console (`vite build` of `web/`): `dist/web`
 * at the package root, three levels above this file in `src/` and in `dist/`.
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** The pages of an account's host and of the operator console; each is the one HTML document the app routes in the browser. */
export const ACCOUNT_PAGES = ['/', '/access/sign_in', '/access/password_reset', '/sessions', '/security'] as const;
export const OPS_CONSOLE_PAGES = ['/ops/console', '/ops/console/*'] as const;

/**
 * Everything from this server and nothing inline: scripts, styles, images and
 * connections (fetch, server-sent events) come from 'self' only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const HTML_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-cache',
} as const;

/** Said to whoever opens a page of an unbuilt console (the error handler would hide a 5xx message). */
const NOT_BUILT = 'The web console has not been built. Run `npm run build` (or `npm run build:web`), then restart the server.\n';

/**
 * Serves the built web console: hashed assets under `/assets/` (cached for
 * good), and its HTML on the console's pages with a strict CSP. Registered at
 * the root, beside the operator and customer contexts: static files need
 * neither the tenant nor the credential hooks; the pages ask the APIs.
 */
export function webConsoleRoutes(options: { webRoot?: string } = {}) {
  const webRoot = options.webRoot ?? DEFAULT_WEB_ROOT;
  return async (app: FastifyInstance): Promise<void> => {
    const assets = path.join(webRoot, 'assets');
    if (fs.existsSync(assets)) {
      await app.register(fastifyStatic, {
        root: assets,
        prefix: '/assets/',
        wildcard: true,
        index: false,
        maxAge: '365d',
        immutable: true,
        // Hashed names: a changed file is a new name, so nothing needs revalidation.
        etag: false,
        lastModified: false,
      });
    }
    // Read again when a rebuild replaced it, so a page never names assets that are gone.
    let cached: { html: string; modifiedMs: number } | undefined;
    const indexFile = path.join(webRoot, 'index.html');
    const sendHtml = async (reply: FastifyReply): Promise<FastifyReply> => {
      const modifiedMs = await fs.promises.stat(indexFile).then(
        (stat) => stat.mtimeMs,
        () => undefined,
      );
      if (modifiedMs === undefined)
        return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      if (cached?.modifiedMs !== modifiedMs) cached = { html: await fs.promises.readFile(indexFile, 'utf8'), modifiedMs };
      return reply.headers(HTML_HEADERS).type('text/html; charset=utf-8').send(cached.html);
    };
    const page = { schema: { hide: true } };
    for (const url of [...ACCOUNT_PAGES, ...OPS_CONSOLE_PAGES]) app.get(url, page, (_request, reply) => sendHtml(reply));
  };
}
