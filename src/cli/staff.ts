import { Option, type Command } from 'commander';
import type { Db } from '../db/database.js';
import { createStaffUser, STAFF_ROLES } from '../modules/staff/staff.service.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import { dataDirOption, processOutput, type CommandOutput } from './command-io.js';

/** What the staff verbs need from the process (`main.ts`'s `Runtime` fits); tests hand in their own. */
export interface StaffRuntime {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  close(): Promise<void>;
}

export type OpenStaffRuntime = (flags: { dataDir?: string }) => Promise<StaffRuntime>;

interface CreateOptions {
  email: string;
  name: string;
  role: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * `riposte staff create`: a staff member with a generated password and TOTP
 * secret, printed once (only the password's hash and the sealed secret are kept).
 */
export function registerStaffCommand(program: Command, openRuntime: OpenStaffRuntime, output: CommandOutput = processOutput): Command {
  const staff = program.command('staff').description("the vendor's staff (operators and support), who sign in at /ops/v1");
  staff
    .command('create')
    .description('create a staff member; prints the generated password and the TOTP secret once')
    .requiredOption('--email <email>', 'their email address (the sign-in name)')
    .requiredOption('--name <name>', 'their name')
    .addOption(new Option('--role <role>', 'operator (drives incidents) or support').choices(STAFF_ROLES).makeOptionMandatory())
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (options: CreateOptions) => {
      const runtime = await openRuntime({ dataDir: options.dataDir });
      try {
        const created = await createStaffUser(runtime, {
          email: options.email,
          name: options.name,
          role: options.role,
          actor: { type: 'cli' },
        });
        if (options.json === true) {
          output.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
          return;
        }
        output.stdout.write(
          [
            `Created ${created.role} ${created.name} <${created.email}> (staff id ${created.id}).`,
            `Password (shown once): ${created.password}`,
            `TOTP secret (base32, shown once): ${created.totpSecret}`,
            `Authenticator URI: ${created.otpauthUri}`,
            'Hand these over privately; sign in with POST /ops/v1/session {email, password, totp}.',
            '',
          ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });
  return staff;
}
