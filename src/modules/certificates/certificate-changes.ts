/**
 * Tells this process's TLS server, at once, that what it serves changed.
 * Other processes learn it from the change marker (`certificate_changes`),
 * which they poll; this is only the shortcut for the process that made the
 * change, so its own next handshake already sees it. Listeners are keyed by
 * the database handle, so two servers over two handles in one process (as in
 * tests) still learn of each other's changes only through the database.
 */
type Listener = () => void;

const listenersByDatabase = new WeakMap<object, Set<Listener>>();

/** Calls `listener` after each committed change made through `db`; returns the unsubscribe. */
export function onCertificateChange(db: object, listener: Listener): () => void {
  let listeners = listenersByDatabase.get(db);
  if (listeners === undefined) {
    listeners = new Set();
    listenersByDatabase.set(db, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call after the transaction that changed what is served has committed. */
export function announceCertificateChange(db: object): void {
  for (const listener of listenersByDatabase.get(db) ?? []) listener();
}
