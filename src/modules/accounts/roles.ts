import type { UsersTable } from '../../db/schema.js';

/** The roles a user holds in an account, lowest first. */
export const USER_ROLES = ['end-user', 'agent', 'admin'] as const;
export type UserRole = UsersTable['role'];

/** A role outranks those before it: an admin may do what an agent may. */
export const ROLE_RANK: Record<UserRole, number> = { 'end-user': 0, agent: 1, admin: 2 };
