// No imports: the web console bundles this list as it is.

/** Exposure categories (DESIGN.md, "Exposure"), in the order they are shown. */
export const EXPOSURE_CATEGORIES = [
  'contact_pii',
  'password_hashes',
  'auth_credentials',
  'tls_keys',
  'app_secrets',
  'ticket_data',
] as const;
export type ExposureCategory = (typeof EXPOSURE_CATEGORIES)[number];
