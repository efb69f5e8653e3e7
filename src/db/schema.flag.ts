/** A boolean column: 0 or 1, the same on SQLite and PostgreSQL. */
export type Flag = 0 | 1;
