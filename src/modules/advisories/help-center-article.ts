import { advisoryPagePath } from './advisory-links.js';
import { renderAdvisoryMarkdown } from './advisory-markdown.js';
import { articleJsonPath, atomFeedPath } from './advisory-page.html.js';
import type { PublicArticle } from './advisory.model.js';

/**
 * An advisory in the shape of Zendesk's Help Center article
 * (`GET /api/v2/help_center/{locale}/articles/{id}.json`), with Riposte's
 * additions: `machine_translated`, `updates`, `translations`, `atom_url`.
 * Fields Zendesk has and advisories do not use carry Zendesk's neutral values.
 */
export function helpCenterArticle(article: PublicArticle, baseUrl: string) {
  const { id, locale, translation } = article;
  return {
    article: {
      id,
      url: `${baseUrl}${articleJsonPath(id, locale)}`,
      html_url: `${baseUrl}${advisoryPagePath(id, locale)}`,
      author_id: null,
      comments_disabled: true,
      draft: false,
      promoted: false,
      position: 0,
      vote_sum: 0,
      vote_count: 0,
      section_id: null,
      user_segment_id: null,
      permission_group_id: null,
      content_tag_ids: [] as string[],
      label_names: ['security-advisory'],
      title: translation.title,
      body: renderAdvisoryMarkdown(translation.body, 2),
      locale,
      source_locale: article.sourceLocale,
      outdated: translation.outdated,
      outdated_locales: article.translations.filter((other) => other.outdated).map((other) => other.locale),
      machine_translated: translation.machineTranslated,
      created_at: article.createdAt,
      updated_at: article.updatedAt,
      edited_at: translation.editedAt,
      atom_url: `${baseUrl}${atomFeedPath(id, locale)}`,
      translations: article.translations.map((other) => ({
        locale: other.locale,
        title: other.title,
        html_url: `${baseUrl}${advisoryPagePath(id, other.locale)}`,
        url: `${baseUrl}${articleJsonPath(id, other.locale)}`,
        outdated: other.outdated,
        machine_translated: other.machineTranslated,
        edited_at: other.editedAt,
      })),
      updates: article.updates.map(({ seq, postedAt, body }) => ({
        id: seq,
        posted_at: postedAt,
        locale: body.locale,
        machine_translated: body.machineTranslated,
        body: renderAdvisoryMarkdown(body.body, 4),
      })),
    },
  };
}

const nullableInteger = { type: ['integer', 'null'] } as const;
const string = { type: 'string' } as const;
const boolean = { type: 'boolean' } as const;
const strings = { type: 'array', items: string } as const;

/** The response schema of the Help Center article route (OpenAPI and serialisation). */
export const helpCenterArticleSchema = {
  type: 'object',
  required: ['article'],
  properties: {
    article: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        url: string,
        html_url: string,
        author_id: nullableInteger,
        comments_disabled: boolean,
        draft: boolean,
        promoted: boolean,
        position: { type: 'integer' },
        vote_sum: { type: 'integer' },
        vote_count: { type: 'integer' },
        section_id: nullableInteger,
        user_segment_id: nullableInteger,
        permission_group_id: nullableInteger,
        content_tag_ids: strings,
        label_names: strings,
        title: string,
        body: string,
        locale: string,
        source_locale: string,
        outdated: boolean,
        outdated_locales: strings,
        machine_translated: boolean,
        created_at: string,
        updated_at: string,
        edited_at: string,
        atom_url: string,
        translations: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              locale: string,
              title: string,
              html_url: string,
              url: string,
              outdated: boolean,
              machine_translated: boolean,
              edited_at: string,
            },
          },
        },
        updates: {
          type: 'array',
          items: {
            type: 'object',
            properties: { id: { type: 'integer' }, posted_at: string, locale: string, machine_translated: boolean, body: string },
          },
        },
      },
    },
  },
} as const;
