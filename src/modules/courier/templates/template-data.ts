import { AppError } from '../../../errors.js';

/**
 * Reads a stored message's data (JSON from the outbox) into the shape its
 * template expects; a missing or mistyped field is an AppError naming it,
 * so the message fails with a reason rather than rendering `undefined`.
 */
export class TemplateDataReader {
  constructor(
    private readonly purpose: string,
    private readonly data: Record<string, unknown>,
  ) {}

  static of(purpose: string, data: unknown): TemplateDataReader {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalidData(purpose, 'data', 'an object');
    return new TemplateDataReader(purpose, data as Record<string, unknown>);
  }

  string(key: string): string {
    const value = this.data[key];
    if (typeof value !== 'string') throw invalidData(this.purpose, key, 'a string');
    return value;
  }

  optionalString(key: string): string | null {
    const value = this.data[key];
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') throw invalidData(this.purpose, key, 'a string or null');
    return value;
  }

  count(key: string): number {
    const value = this.data[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidData(this.purpose, key, 'a whole number');
    return value;
  }

  /** A whole number, or null when absent (data stored before the field existed). */
  optionalCount(key: string): number | null {
    const value = this.data[key];
    if (value === null || value === undefined) return null;
    return this.count(key);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.data[key];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
      throw invalidData(this.purpose, key, `one of ${allowed.join(', ')}`);
    return value as T;
  }

  list<T>(key: string, item: (reader: TemplateDataReader) => T): T[] {
    const value = this.data[key];
    if (!Array.isArray(value)) throw invalidData(this.purpose, key, 'a list');
    return value.map((entry, index) => item(TemplateDataReader.of(`${this.purpose}.${key}[${index}]`, entry)));
  }

  /** A list, or an empty one when absent (data stored before the field existed). */
  optionalList<T>(key: string, item: (reader: TemplateDataReader) => T): T[] {
    const value = this.data[key];
    if (value === null || value === undefined) return [];
    return this.list(key, item);
  }

  /** An object, or null when absent or null (data stored before the field existed). */
  optionalObject<T>(key: string, item: (reader: TemplateDataReader) => T): T | null {
    const value = this.data[key];
    if (value === null || value === undefined) return null;
    return item(TemplateDataReader.of(`${this.purpose}.${key}`, value));
  }

  strings(key: string): string[] {
    const value = this.data[key];
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
      throw invalidData(this.purpose, key, 'a list of strings');
    return value as string[];
  }
}

function invalidData(purpose: string, key: string, expected: string): AppError {
  return new AppError('TemplateDataInvalid', `The ${purpose} message's data has no valid "${key}" (expected ${expected}).`);
}
