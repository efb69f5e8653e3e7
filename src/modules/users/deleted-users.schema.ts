import type { DeletedUserRow } from './deleted-users.repo.js';

/** Zendesk's deleted user object. */
export interface DeletedUserView {
  id: number;
  url: string;
  name: string;
  email: string;
  phone: string | null;
  role: DeletedUserRow['role'];
  active: false;
  created_at: string;
  updated_at: string;
  deleted_at: string;
  /** Set once permanently deleted: the fields above are then placeholders. */
  erased_at: string | null;
}

export function presentDeletedUser(row: DeletedUserRow, baseUrl: string): DeletedUserView {
  return {
    id: Number(row.id),
    url: `${baseUrl}/api/v2/deleted_users/${row.id}.json`,
    name: row.name,
    email: row.email,
    phone: row.phone,
    role: row.role,
    active: false,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
    erased_at: row.erased_at,
  };
}

export const deletedUserViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    phone: { type: ['string', 'null'] },
    role: { type: 'string' },
    active: { type: 'boolean' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    deleted_at: { type: 'string' },
    erased_at: { type: ['string', 'null'] },
  },
} as const;
