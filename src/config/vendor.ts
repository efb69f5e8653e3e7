import { settings, type Config } from './defaults.js';

/** The settings that say who the vendor is (README, "Configuration"). */
export type VendorConfig = Pick<
  Config,
  'vendorName' | 'vendorSecurityEmail' | 'vendorDataProtectionEmail' | 'vendorSecurityPageUrl' | 'mailReplyTo'
>;

/**
 * The vendor as customers meet it: the name that signs notices and heads
 * advisories, where to write about security and about data protection, where
 * replies to its mail go, and its security programme page. Read from the
 * configuration, never written in code, so that another vendor running
 * Riposte is never named as someone else.
 */
export interface VendorIdentity {
  name: string;
  securityEmail: string;
  dataProtectionEmail: string;
  /** The Reply-To of every message the courier sends. */
  replyTo: string;
  securityPageUrl: string | null;
}

function documentedDefault(key: keyof VendorConfig): string {
  const value = settings.find((spec) => spec.key === key)?.default;
  if (value === undefined) throw new TypeError(`The setting ${key} has no documented default.`);
  return value;
}

/**
 * The vendor's identity from the configuration; settings a caller's
 * configuration leaves out (tests, tools that build a partial one) take
 * their documented defaults, as `loadConfig` would.
 *
 * @example
 * vendorIdentity({ vendorName: 'Acme Cloud', vendorSecurityEmail: 'security@acme.example' });
 * // { name: 'Acme Cloud', securityEmail: 'security@acme.example', replyTo: 'security@acme.example', dataProtectionEmail: 'privacy@riposte.localhost', securityPageUrl: null }
 */
export function vendorIdentity(config: Partial<VendorConfig>): VendorIdentity {
  const securityEmail = config.vendorSecurityEmail ?? documentedDefault('vendorSecurityEmail');
  return {
    name: config.vendorName ?? documentedDefault('vendorName'),
    securityEmail,
    dataProtectionEmail: config.vendorDataProtectionEmail ?? documentedDefault('vendorDataProtectionEmail'),
    replyTo: config.mailReplyTo ?? securityEmail,
    securityPageUrl: config.vendorSecurityPageUrl ?? null,
  };
}
