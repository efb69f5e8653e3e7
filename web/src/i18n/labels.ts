import type { MessageKey } from './en.js';

/** The server's exposure categories, in its order. */
export const EXPOSURE_CATEGORIES = [
  'contact_pii',
  'password_hashes',
  'auth_credentials',
  'tls_keys',
  'app_secrets',
  'ticket_data',
] as const;

export const categoryKey = (category: string): MessageKey => `category.${category}` as MessageKey;
export const stateKey = (state: string): MessageKey => `incidentState.${state}` as MessageKey;
export const campaignStateKey = (state: string): MessageKey => `campaignState.${state}` as MessageKey;
