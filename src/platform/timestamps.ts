const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;
const UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

/**
 * `2015-03-02T00:00:00Z` or with an offset, to the stored form
 * (`toISOString()`); `undefined` for anything else, including impossible
 * dates such as February 30 that `Date.parse` would roll over.
 */
export function normaliseTimestamp(value: string): string | undefined {
  // Fast path for the common UTC forms (a million users carry millions of timestamps).
  if (UTC_SECONDS.test(value)) return validCalendarTime(value) ? (value.length === 20 ? `${value.slice(0, 19)}.000Z` : value) : undefined;
  const match = ISO_TIMESTAMP.exec(value);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const wallClock = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    wallClock.getUTCFullYear() !== year ||
    wallClock.getUTCMonth() !== month - 1 ||
    wallClock.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined;
  const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0${match[7]}`) * 1000);
  const offsetMinutes = match[8] === 'Z' ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  if (Math.abs(offsetMinutes) > 18 * 60) return undefined;
  return new Date(wallClock.getTime() + fraction - offsetMinutes * 60_000).toISOString();
}

const digits = (text: string, from: number, length: number): number => {
  let number = 0;
  for (let i = from; i < from + length; i++) number = number * 10 + text.charCodeAt(i) - 48;
  return number;
};

/** Month, day, hour, minute and second in range for `YYYY-MM-DDTHH:MM:SS...` (leap years included). */
function validCalendarTime(value: string): boolean {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    digits(value, 11, 2) <= 23 &&
    digits(value, 14, 2) <= 59 &&
    digits(value, 17, 2) <= 59
  );
}
