/**
 * Options of a suite whose tests build on each other (one server or
 * database set up once, each test taking it a step further): they keep
 * their written order even when a run shuffles tests (`--sequence.shuffle`).
 * `retry: 0` is the default; it also makes the object fit `describe.each`'s options type.
 */
export const IN_ORDER = { shuffle: false, retry: 0 };
