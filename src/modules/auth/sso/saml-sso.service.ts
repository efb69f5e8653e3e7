import {
  generateServiceProviderMetadata,
  SAML,
  SamlStatusError,
  ValidateInResponseTo,
  type Profile,
  type SamlConfig,
} from '@node-saml/node-saml';
import type { Account } from '../../../db/schema.js';
import type { AppError } from '../../../errors.js';
import type { Clock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import type { SsoConfigRow } from './sso.repo.js';
import { loadSsoConfig } from './sso-config.service.js';
import { invalidSsoToken, ssoNotEnabled } from './sso-errors.js';
import type { SpEndpoints } from './sp-endpoints.js';
import { normalizeSsoEmail, type SsoIdentity } from './sso-sign-in.service.js';

/** Clock difference tolerated on NotBefore / NotOnOrAfter. */
export const SAML_CLOCK_SKEW_MS = 60_000;
/** An assertion older than this (from its IssueInstant) is refused whatever its NotOnOrAfter says. */
export const SAML_MAX_ASSERTION_AGE_MS = 10 * 60_000;

const EMAIL_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const UNSPECIFIED_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** node-saml reads the system time; this asks our clock instead, so tests and skew handling agree. */
class ClockedSaml extends SAML {
  private readonly clock: Clock;
  constructor(options: SamlConfig, clock: Clock) {
    super(options);
    this.clock = clock;
  }
  protected override checkTimestampsValidityError(
    _systemNowMs: number,
    notBefore: string,
    notOnOrAfter: string,
    maxTimeLimitMs?: number,
  ): Error | null {
    return super.checkTimestampsValidityError(this.clock.now().getTime(), notBefore, notOnOrAfter, maxTimeLimitMs);
  }
}

function serviceProvider(config: SsoConfigRow, endpoints: SpEndpoints, clock: Clock): ClockedSaml {
  if (config.saml_enabled !== 1 || config.saml_idp_certificate === null || config.saml_idp_sso_url === null) throw ssoNotEnabled('SAML');
  return new ClockedSaml(
    {
      idpCert: config.saml_idp_certificate,
      issuer: endpoints.entityId,
      audience: endpoints.entityId,
      callbackUrl: endpoints.acsUrl,
      entryPoint: config.saml_idp_sso_url,
      identifierFormat: EMAIL_NAME_ID,
      // Either a signed response or a signed assertion will do; node-saml then refuses neither-signed.
      wantAssertionsSigned: false,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
      maxAssertionAgeMs: SAML_MAX_ASSERTION_AGE_MS,
      // Unsolicited (IdP-initiated) responses are accepted, so InResponseTo proves nothing; replays are stopped by assertion id.
      validateInResponseTo: ValidateInResponseTo.never,
      disableRequestedAuthnContext: true,
    },
    clock,
  );
}

/**
 * The SP metadata document an admin gives the identity provider.
 *
 * @example
 * reply.type('application/samlmetadata+xml').send(serviceProviderMetadata(spEndpointsFor('https://acme.localhost')));
 */
export function serviceProviderMetadata(endpoints: SpEndpoints): string {
  return generateServiceProviderMetadata({
    issuer: endpoints.entityId,
    callbackUrl: endpoints.acsUrl,
    identifierFormat: EMAIL_NAME_ID,
    wantAssertionsSigned: true,
  });
}

/** The IdP URL that starts an SP-initiated sign-in: an AuthnRequest on the HTTP-Redirect binding. */
export async function samlSignInUrl(deps: ServiceDeps, account: Account, endpoints: SpEndpoints, relayState: string): Promise<string> {
  const saml = serviceProvider(await loadSsoConfig(deps, account.id), endpoints, deps.clock);
  return saml.getAuthorizeUrlAsync(relayState, undefined, {});
}

const malformedResponse = (): AppError =>
  invalidSsoToken(
    'malformed',
    'The SAMLResponse is not a SAML 2.0 response this service can read (base64 of a signed samlp:Response with one assertion).',
  );

function refusal(error: unknown): AppError {
  if (error instanceof SamlStatusError) {
    return invalidSsoToken(
      'idp_error',
      'The identity provider answered that the sign-in did not succeed. Try again, or ask your identity provider administrator.',
    );
  }
  const message = error instanceof Error ? error.message : '';
  // node-saml words some shape problems as signature problems; they are the sender's format, not a forgery.
  if (/no response found|missing saml assertion|unknown saml response|multiple assertions/i.test(message)) return malformedResponse();
  if (/signature/i.test(message)) {
    return invalidSsoToken(
      'bad_signature',
      'The SAML response is not signed by the identity provider certificate configured for this account (or was altered after signing).',
    );
  }
  if (/expired/i.test(message))
    return invalidSsoToken('expired', 'The SAML assertion has expired. Sign in again at your identity provider.');
  if (/not yet valid/i.test(message))
    return invalidSsoToken('not_yet_valid', "The SAML assertion is not valid yet; check the identity provider's clock.");
  if (/audience/i.test(message)) {
    return invalidSsoToken(
      'wrong_audience',
      "The SAML assertion is meant for another service provider: its Audience must be this account's entity id (/access/saml/metadata).",
    );
  }
  return malformedResponse();
}

type XmlNode = { $?: Record<string, string | undefined>; _?: string; [child: string]: unknown };

const children = (node: XmlNode | undefined, name: string): XmlNode[] => {
  const value = node?.[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
};

/** The Destination attribute of the samlp:Response root element, when it has one. */
function responseDestination(responseXml: string): string | undefined {
  const root = /<(?:[A-Za-z_][\w.-]*:)?Response\b([^>]*)>/.exec(responseXml);
  const attribute = root?.[1] === undefined ? undefined : /\sDestination\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(root[1]);
  return (attribute?.[1] ?? attribute?.[2])?.replaceAll('&amp;', '&');
}

/**
 * Checks what node-saml leaves to the caller, on the signed assertion: a
 * bearer confirmation addressed to our ACS URL and still valid, the issuer
 * when the admin configured it, and the response's Destination when present.
 * Returns when the assertion stops being acceptable.
 */
function checkDelivery(profile: Profile, assertion: XmlNode, config: SsoConfigRow, endpoints: SpEndpoints, nowMs: number): Date {
  const destination = responseDestination(profile.getSamlResponseXml?.() ?? '');
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation').filter((node) => node.$?.['Method'] === BEARER);
  const addressed = confirmations
    .map((node) => children(node, 'SubjectConfirmationData')[0]?.$ ?? {})
    .filter((data) => data['Recipient'] === endpoints.acsUrl);
  if ((destination !== undefined && destination !== endpoints.acsUrl) || addressed.length === 0) {
    throw invalidSsoToken(
      'wrong_recipient',
      `The SAML response is addressed to another endpoint: its Destination and bearer Recipient must be ${endpoints.acsUrl}.`,
    );
  }
  const notOnOrAfter = addressed
    .map((data) => Date.parse(data['NotOnOrAfter'] ?? ''))
    .filter((time) => Number.isFinite(time) && nowMs - SAML_CLOCK_SKEW_MS < time);
  if (notOnOrAfter.length === 0) {
    throw invalidSsoToken(
      'expired',
      'The SAML assertion has expired (or its bearer confirmation has no NotOnOrAfter). Sign in again at your identity provider.',
    );
  }
  if (config.saml_idp_entity_id !== null && profile.issuer !== config.saml_idp_entity_id) {
    throw invalidSsoToken(
      'wrong_issuer',
      'The SAML assertion was issued by another identity provider than the one configured for this account (saml.idp_entity_id).',
    );
  }
  const issuedAt = Date.parse(assertion.$?.['IssueInstant'] ?? '');
  const latest = Math.max(...notOnOrAfter);
  return new Date((Number.isFinite(issuedAt) ? Math.min(latest, issuedAt + SAML_MAX_ASSERTION_AGE_MS) : latest) + SAML_CLOCK_SKEW_MS);
}

const firstString = (value: unknown): string | null => {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() !== '' ? first.trim() : null;
};

/** The name, from whichever attribute the identity provider uses for it. */
function nameOf(profile: Profile): string | null {
  const direct =
    firstString(profile['name']) ??
    firstString(profile['displayName']) ??
    firstString(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']);
  if (direct !== null) return direct.slice(0, 255);
  const given = firstString(profile['givenName']) ?? firstString(profile['first_name']);
  const family = firstString(profile['surname']) ?? firstString(profile['sn']) ?? firstString(profile['last_name']);
  const joined = [given, family].filter((part) => part !== null).join(' ');
  return joined === '' ? null : joined.slice(0, 255);
}

function identityOf(profile: Profile, assertion: XmlNode, replayableUntil: Date): SsoIdentity {
  const nameIdIsEmail =
    profile.nameIDFormat === EMAIL_NAME_ID ||
    ((profile.nameIDFormat ?? UNSPECIFIED_NAME_ID) === UNSPECIFIED_NAME_ID && /@/.test(profile.nameID ?? ''));
  const email = nameIdIsEmail
    ? profile.nameID
    : (firstString(profile.email) ?? firstString(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']));
  if (email === null || email === undefined || email === '') {
    throw invalidSsoToken(
      'missing_claim',
      'The SAML assertion carries no email address: send it as the NameID (emailAddress format) or in an "email" attribute.',
    );
  }
  const assertionId = assertion.$?.['ID'];
  if (assertionId === undefined || assertionId === '')
    throw invalidSsoToken('malformed', 'The SAML assertion has no ID; a single-use ID is required.');
  const externalId = firstString(profile['external_id']);
  return {
    email: normalizeSsoEmail(email, 'SAML NameID or "email" attribute'),
    name: nameOf(profile),
    externalId: externalId === null ? null : externalId.slice(0, 255),
    assertionId: `saml:${assertionId}`,
    replayableUntil,
  };
}

/**
 * Validates a SAMLResponse posted to the ACS (HTTP-POST binding) with
 * node-saml: signature of the response or the assertion by the configured
 * IdP certificate, audience = our entity id, validity window with a small
 * skew; then recipient, destination and issuer here. Returns the identity;
 * spending the assertion id is left to {@link signInWithSso}.
 */
export async function verifySamlResponse(
  deps: ServiceDeps,
  account: Account,
  endpoints: SpEndpoints,
  samlResponse: string,
): Promise<SsoIdentity> {
  const config = await loadSsoConfig(deps, account.id);
  const saml = serviceProvider(config, endpoints, deps.clock);
  let profile: Profile | null;
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (error) {
    throw refusal(error);
  }
  const assertion = (profile?.getAssertion?.() as { Assertion?: XmlNode } | undefined)?.Assertion;
  if (profile === null || assertion === undefined) throw malformedResponse();
  const replayableUntil = checkDelivery(profile, assertion, config, endpoints, deps.clock.now().getTime());
  return identityOf(profile, assertion, replayableUntil);
}
