import { PRODUCTS } from '../../platform/products.js';
import { FIELD_NAME, FIELD_TYPES, MAX_APP_NAME, MAX_FIELDS, type AppDefinition, type FieldType } from './app-definition.js';

/** An app as this API shows it: Zendesk's app object, with the settings fields an installation takes. */
export interface AppView {
  id: number;
  name: string;
  product: string;
  marketplace: boolean;
  author_name: string | null;
  short_description: string | null;
  fields: Array<{ name: string; type: FieldType; secure: boolean; required: boolean }>;
}

export function presentApp(app: AppDefinition): AppView {
  return {
    id: app.id,
    name: app.name,
    product: app.product,
    marketplace: app.marketplace,
    author_name: app.author,
    short_description: app.shortDescription,
    fields: app.fields.map((field) => ({ name: field.name, type: field.type, secure: field.secure, required: field.required })),
  };
}

const fieldSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: FIELD_NAME.source },
    type: { type: 'string', enum: FIELD_TYPES },
    secure: { type: 'boolean' },
    required: { type: 'boolean' },
  },
} as const;

export const appViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    product: { type: 'string' },
    marketplace: { type: 'boolean' },
    author_name: { type: ['string', 'null'] },
    short_description: { type: ['string', 'null'] },
    fields: { type: 'array', items: fieldSchema },
  },
  required: ['id', 'name', 'product', 'marketplace', 'fields'],
} as const;

/** `POST /api/v2/apps`: unwrapped, as Zendesk's apps endpoints take their bodies. */
export interface CreateAppBody {
  name: string;
  product: string;
  fields: Array<{ name: string; type?: FieldType; secure?: boolean; required?: boolean }>;
}

export const createAppBodySchema = {
  type: 'object',
  required: ['name', 'product', 'fields'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: MAX_APP_NAME, pattern: '\\S' },
    product: { type: 'string', enum: PRODUCTS },
    fields: { type: 'array', maxItems: MAX_FIELDS, items: fieldSchema },
  },
} as const;
