import { wireType } from '../../../platform/http/wire-schema.js';
import { SELECTOR_FIELDS, SELECTOR_OPS } from './selector.fields.js';
import type { Selector } from './selector.model.js';

export const SELECTOR_SCHEMA_ID = 'riposte-selector';

const scalar = { type: ['string', 'integer', 'boolean'] } as const;

/**
 * A selector as answers send it back (DESIGN.md, "Selectors"): a clause, or
 * `all`/`any` of selectors, or `not` one. Registered once per HTTP context
 * with `app.addSchema`, and referred to with `selectorRef`.
 */
export const selectorSchema = {
  $id: SELECTOR_SCHEMA_ID,
  description: 'A selector: a clause {field, op, value}, or {all: [...]}, {any: [...]} or {not: selector}.',
  anyOf: [
    {
      type: 'object',
      required: ['field', 'op', 'value'],
      additionalProperties: false,
      properties: {
        field: { type: 'string', enum: Object.keys(SELECTOR_FIELDS) },
        op: { type: 'string', enum: [...SELECTOR_OPS] },
        value: { anyOf: [scalar, { type: 'array', items: scalar }] },
      },
    },
    {
      type: 'object',
      required: ['all'],
      additionalProperties: false,
      properties: { all: { type: 'array', items: { $ref: `${SELECTOR_SCHEMA_ID}#` } } },
    },
    {
      type: 'object',
      required: ['any'],
      additionalProperties: false,
      properties: { any: { type: 'array', items: { $ref: `${SELECTOR_SCHEMA_ID}#` } } },
    },
    { type: 'object', required: ['not'], additionalProperties: false, properties: { not: { $ref: `${SELECTOR_SCHEMA_ID}#` } } },
  ],
} as const;

/** Where an answer holds a selector; its type is the selector grammar's. */
export const selectorRef = wireType<Selector>()({ $ref: `${SELECTOR_SCHEMA_ID}#` });
