import type { MessageKey } from './en.js';

export { EXPOSURE_CATEGORIES } from '../../../src/modules/incidents/exposure-categories.js';

export const categoryKey = (category: string): MessageKey => `category.${category}` as MessageKey;
export const stateKey = (state: string): MessageKey => `incidentState.${state}` as MessageKey;
export const campaignStateKey = (state: string): MessageKey => `campaignState.${state}` as MessageKey;
