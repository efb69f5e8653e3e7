import type { Selectable } from 'kysely';
import type { OauthClientsTable, OauthCodesTable, OauthTokensTable } from '../../../db/schema.js';

export type OauthClientRow = Selectable<OauthClientsTable>;

export type OauthTokenRow = Selectable<OauthTokensTable>;

export type OauthCodeRow = Selectable<OauthCodesTable>;

export type ClientKind = OauthClientRow['kind'];

export const redirectUrisOf = (client: OauthClientRow): string[] => JSON.parse(client.redirect_uris) as string[];
