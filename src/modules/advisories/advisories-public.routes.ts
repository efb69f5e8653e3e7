import type { FastifyInstance, FastifyReply } from 'fastify';
import { vendorIdentity } from '../../config/vendor.js';
import { isAppError } from '../../errors.js';
import { errorResponses, idString } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { renderUpdatesFeed } from './advisory-atom.js';
import { advisoryPagePath } from './advisory-links.js';
import { nearestAdvisoryLocale } from './advisory-locales.js';
import { renderAdvisoryNotFoundPage, renderAdvisoryPage } from './advisory-page.html.js';
import { ADVISORY_PAGE_CSP } from './advisory-page.style.js';
import { MissingTranslationError, readPublicArticle } from './advisory-public.service.js';
import { helpCenterArticle, helpCenterArticleSchema } from './help-center-article.js';

interface ArticleParams {
  locale: string;
  id: string;
}

const params = {
  type: 'object',
  required: ['locale', 'id'],
  properties: { locale: { type: 'string', pattern: '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8}){0,3}$' }, id: idString },
} as const;

const tags = ['advisories (public)'];
// Anyone may read; a modest limit per address keeps scraping and floods cheap to absorb.
const config = { rateLimit: { max: 300, timeWindow: '1 minute' } };
const text = { type: 'string' } as const;

function publicHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'public, max-age=60').header('x-content-type-options', 'nosniff');
}

/**
 * The public advisory: a server-rendered page, the Help Center JSON and an
 * Atom feed of updates. Registered in a context of its own (no tenancy, no
 * credentials): published advisories are for anyone; drafts are 404.
 */
export function advisoryPublicRoutes(deps: Pick<ServiceDeps, 'db' | 'config'>) {
  // Absolute URLs come from the configured public address: no tenant check vouches for the Host here.
  const baseUrl = deps.config.publicUrl.replace(/\/+$/, '');
  const vendorName = vendorIdentity(deps.config).name;
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Params: ArticleParams }>(
      '/hc/:locale/articles/:id',
      {
        config,
        schema: {
          tags,
          summary: 'The advisory page in a locale (HTML, readable without JavaScript)',
          params,
          response: { 200: text, 301: text, 404: text, 400: errorResponses[400] },
        },
      },
      async (request, reply) => {
        const { locale, id } = request.params;
        const nearest = nearestAdvisoryLocale(locale);
        // Zendesk-style links (/hc/en-us/...) land on the locale we have.
        if (nearest !== undefined && nearest !== locale) return reply.redirect(advisoryPagePath(Number(id), nearest), 301);
        void publicHeaders(reply)
          .header('content-security-policy', ADVISORY_PAGE_CSP)
          .header('referrer-policy', 'no-referrer')
          .header('x-frame-options', 'DENY')
          .type('text/html; charset=utf-8');
        try {
          return renderAdvisoryPage(await readPublicArticle(deps, Number(id), locale), vendorName);
        } catch (error) {
          if (!isAppError(error) || error.status !== 404) throw error;
          const available = error instanceof MissingTranslationError ? error.availableLocales : [];
          return reply.code(404).send(renderAdvisoryNotFoundPage(locale, Number(id), error.message, available, vendorName));
        }
      },
    );

    app.get<{ Params: ArticleParams }>(
      '/api/v2/help_center/:locale/articles/:id',
      {
        config,
        schema: {
          tags,
          summary: 'The advisory as a Zendesk Help Center article (.json suffix accepted)',
          params,
          response: { 200: helpCenterArticleSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const article = await readPublicArticle(deps, Number(request.params.id), request.params.locale);
        void publicHeaders(reply);
        return helpCenterArticle(article, baseUrl);
      },
    );

    app.get<{ Params: ArticleParams }>(
      '/hc/:locale/articles/:id/updates.atom',
      {
        config,
        schema: { tags, summary: 'The advisory’s dated updates as an Atom feed', params, response: { 200: text, ...errorResponses } },
      },
      async (request, reply) => {
        const article = await readPublicArticle(deps, Number(request.params.id), request.params.locale);
        return publicHeaders(reply)
          .type('application/atom+xml; charset=utf-8')
          .send(renderUpdatesFeed(article, baseUrl, vendorName));
      },
    );
    done();
  };
}
