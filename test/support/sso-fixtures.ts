import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT, type JWTPayload } from 'jose';
import * as samlify from 'samlify';
import type { Account } from '../../src/db/schema.js';
import { hostOf } from './identity-fixtures.js';

/** The `riposte_session=...` pair of a response's Set-Cookie, ready to send back. */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | undefined {
  const header = Array.isArray(setCookie) ? setCookie.join('\n') : (setCookie ?? '');
  return /(riposte_session=[^;\s]+)/.exec(header)?.[1];
}

/** Whether `cookie` authenticates `GET /api/v2/users/me` at the account's host, and as whom. */
export async function whoAmI(
  app: FastifyInstance,
  account: Account,
  cookie: string,
): Promise<{ status: number; email?: string; sso?: boolean }> {
  const response = await app.inject({ method: 'GET', url: '/api/v2/users/me.json', headers: { host: hostOf(account), cookie } });
  if (response.statusCode !== 200) return { status: response.statusCode };
  const body = response.json<{ user: { email: string; sso: boolean } }>();
  return { status: 200, email: body.user.email, sso: body.user.sso };
}

/** An HS256 (or other) JWT as an identity provider would mint it, `iat` from the given time. */
export async function mintJwt(secret: string, claims: JWTPayload, options: { issuedAt: Date; alg?: string }): Promise<string> {
  return new SignJWT({ iat: Math.floor(options.issuedAt.getTime() / 1000), ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

/** An unsigned JWT (`alg: none`), which must never be accepted. */
export function unsignedJwt(claims: JWTPayload): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export interface KeyPair {
  privateKey: string;
  certificate: string;
}

/** A fresh RSA key and self-signed certificate, made by openssl, valid two days from the real now. */
export function generateKeyPair(commonName = 'idp.test'): KeyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-idp-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${commonName}`],
      {
        stdio: 'ignore',
      },
    );
    return { privateKey: fs.readFileSync(keyFile, 'utf8'), certificate: fs.readFileSync(certFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const IDP_ENTITY_ID = 'https://idp.test/metadata';
export const IDP_SSO_URL = 'https://idp.test/sso';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** A real SAML identity provider (samlify) that signs with `keys`. */
export function testIdentityProvider(keys: KeyPair): samlify.IdentityProviderInstance {
  return samlify.IdentityProvider({
    entityID: IDP_ENTITY_ID,
    privateKey: keys.privateKey,
    signingCert: keys.certificate,
    nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: IDP_SSO_URL }],
    singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.test/slo' }],
  });
}

/** Our service provider as the IdP sees it: from the metadata we publish, optionally asking for a signed message instead. */
export function serviceProviderFromMetadata(
  metadata: string,
  options: { signMessageOnly?: boolean } = {},
): samlify.ServiceProviderInstance {
  const xml = options.signMessageOnly === true ? metadata.replace('WantAssertionsSigned="true"', 'WantAssertionsSigned="false"') : metadata;
  return samlify.ServiceProvider({ metadata: xml, ...(options.signMessageOnly === true ? { wantMessageSigned: true } : {}) });
}

export interface LoginResponseOptions {
  email: string;
  /** The time the IdP believes it is (our test clock, not the machine's). */
  now: Date;
  attributes?: Record<string, string>;
  audience?: string;
  recipient?: string;
  lifetimeMs?: number;
  inResponseTo?: string;
}

let counter = 0;
const uniqueId = (): string => `_${Date.now().toString(16)}${(counter += 1).toString(16)}${Math.random().toString(16).slice(2)}`;

const escapeXml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function attributeStatement(attributes: Record<string, string>): string {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return '';
  const lines = entries.map(
    ([name, value]) =>
      `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`,
  );
  return `<saml:AttributeStatement>${lines.join('')}</saml:AttributeStatement>`;
}

/**
 * A signed SAMLResponse (base64, HTTP-POST binding) from `idp` for `sp`,
 * built by samlify from its own template with times from `options.now`.
 */
export async function signedLoginResponse(
  idp: samlify.IdentityProviderInstance,
  sp: samlify.ServiceProviderInstance,
  options: LoginResponseOptions,
): Promise<string> {
  const acs = sp.entityMeta.getAssertionConsumerService('post');
  const acsUrl = Array.isArray(acs) ? String(acs[0]) : String(acs);
  const issuedAt = options.now.toISOString();
  const until = new Date(options.now.getTime() + (options.lifetimeMs ?? 5 * 60_000)).toISOString();
  const id = uniqueId();
  const result = await idp.createLoginResponse(
    sp,
    { extract: {} },
    'post',
    { email: options.email },
    {
      customTagReplacement: (template: string) => ({
        id,
        context: samlify.SamlLib.replaceTagsByValue(
          template.replace('{AttributeStatement}', attributeStatement(options.attributes ?? {})),
          {
            ID: id,
            AssertionID: uniqueId(),
            Destination: acsUrl,
            Audience: options.audience ?? sp.entityMeta.getEntityID(),
            SubjectRecipient: options.recipient ?? acsUrl,
            Issuer: IDP_ENTITY_ID,
            IssueInstant: issuedAt,
            StatusCode: samlify.Constants.StatusCode.Success,
            ConditionsNotBefore: issuedAt,
            ConditionsNotOnOrAfter: until,
            SubjectConfirmationDataNotOnOrAfter: until,
            NameIDFormat: EMAIL_FORMAT,
            NameID: options.email,
            InResponseTo: options.inResponseTo ?? '',
            AuthnStatement: '',
          },
        ),
      }),
    },
  );
  return result.context;
}
