/**
 * CSV for people who open it in a spreadsheet: RFC 4180 quoting (a field with
 * a comma, quote, CR or LF is quoted, quotes doubled; lines end CRLF), and
 * formula injection neutralised — a cell that starts with `=`, `+`, `-` or `@`
 * (or a tab or CR, which some spreadsheets skip before reading a formula) gets
 * a leading `'`, so Excel and LibreOffice show it as text instead of running it.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell, neutralised and quoted as needed.
 *
 * @example
 * csvCell('=HYPERLINK("http://evil")'); // '"\'=HYPERLINK(""http://evil"")"'
 * csvCell('plain'); // 'plain'
 */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line with its CRLF. */
export const csvLine = (values: readonly CsvValue[]): string => `${values.map(csvCell).join(',')}\r\n`;
