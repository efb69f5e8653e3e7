/**
 * The thread `UsersCheckThread` starts: reads users.jsonl once, checks each
 * line (`UsersCheck`) and sends the users that passed in batches, while the
 * thread that started it writes the batches before. No more than
 * `batchesAhead` batches wait unwritten, so memory stays flat.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readJsonLineBatches } from '../../platform/json-lines/json-lines.js';
import type { ImportedUser } from './import-lines.parser.js';
import { ProblemList } from './import-problems.js';
import { UsersCheck } from './users-check.js';
import type { FromUsersCheck, ToUsersCheck, UsersCheckStart } from './users-check.thread.js';
import { toUserColumns } from './user-columns.js';

const port = parentPort!;
const start = workerData as UsersCheckStart;
const problems = new ProblemList();
const users = new UsersCheck(new Map(start.accountLines), problems);
let sendRows = start.sendRows;
let credits = start.batchesAhead;
let finalSettlement = false;
let wake: (() => void) | undefined;

port.on('message', (message: ToUsersCheck) => {
  if (message.type === 'credit') credits += 1;
  else if (message.type === 'rows-unneeded') sendRows = false;
  else {
    users.settleAccounts(new Set(message.existing), message.looked);
    if (message.final) finalSettlement = true;
  }
  wake?.();
  wake = undefined;
});

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise<void>((resolve) => (wake = resolve));
};

// Accounts outside accounts.jsonl, told to the writing thread once each: it looks them up, then settles them here.
const told = new Set<string>();
function newlyNamed(): string[] {
  const named = users.unsettledAccounts().filter((subdomain) => !told.has(subdomain));
  for (const subdomain of named) told.add(subdomain);
  return named;
}

let batch: ImportedUser[] = [];
let chars = 0;
let lines = 0;

async function send(): Promise<void> {
  await until(() => credits > 0);
  credits -= 1;
  const message: FromUsersCheck = {
    type: 'batch',
    users: toUserColumns(sendRows ? batch : []),
    chars,
    lines,
    named: newlyNamed(),
    problems: problems.total,
  };
  port.postMessage(message);
  batch = [];
  chars = 0;
  lines = 0;
}

async function checkFile(): Promise<void> {
  for await (const entries of readJsonLineBatches(start.usersFile)) {
    for (const entry of entries) {
      chars += entry.chars;
      lines += 1;
      if (users.needsEarlierLines(entry)) await users.readEarlierLines(start.usersFile, entry.line);
      const user = users.check(entry);
      if (user !== undefined && sendRows) batch.push(user);
      if (batch.length >= start.rowsPerBatch) await send();
    }
    // Each read ends with a message, rows or not: the writing thread learns of problems and progress as they come.
    await send();
  }
  port.postMessage({ type: 'read', named: newlyNamed() } satisfies FromUsersCheck);
  await until(() => finalSettlement);
  port.postMessage({ type: 'done', problems: { kept: problems.kept, total: problems.total } } satisfies FromUsersCheck);
  port.close();
}

void checkFile();
