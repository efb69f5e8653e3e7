import { Option, type Command } from 'commander';
import type { Db } from '../db/database.js';
import { disableStaffUser, listStaff } from '../modules/staff/staff-admin.service.js';
import { createStaffUser, STAFF_ROLES } from '../modules/staff/staff.service.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import { dataDirOption, processOutput, usingRuntime, type CommandOutput } from './command-io.js';

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
      await usingRuntime(openRuntime, options, async (runtime) => {
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
      });
    });
  registerStaffAdminVerbs(staff, openRuntime, output);
  return staff;
}

/** `riposte staff list` and `riposte staff disable EMAIL`. */
function registerStaffAdminVerbs(staff: Command, openRuntime: OpenStaffRuntime, output: CommandOutput): void {
  staff
    .command('list')
    .description('list staff members with their role, state and live sessions')
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        const members = await listStaff(runtime);
        if (options.json === true) {
          output.stdout.write(`${JSON.stringify({ staff: members }, null, 2)}\n`);
          return;
        }
        if (members.length === 0) output.stdout.write('No staff members yet; add one with "riposte staff create".\n');
        for (const member of members)
          output.stdout.write(
            `${member.id}\t${member.role}\t${member.email}\t${member.name}\t${member.disabledAt === null ? `enabled, ${member.liveSessions} live session(s)` : `disabled ${member.disabledAt}`}\n`,
          );
      });
    });
  staff
    .command('disable')
    .description('disable a staff member: they cannot sign in again and their sessions end at once')
    .argument('<email>', "the staff member's email")
    .option('--json', 'print one JSON document')
    .addOption(dataDirOption())
    .action(async (email: string, options: { dataDir?: string; json?: boolean }) => {
      await usingRuntime(openRuntime, options, async (runtime) => {
        const disabled = await disableStaffUser(runtime, { email, actor: { type: 'cli' } });
        if (options.json === true) output.stdout.write(`${JSON.stringify(disabled, null, 2)}\n`);
        else
          output.stdout.write(`Disabled staff member ${email} (staff id ${disabled.id}); ${disabled.sessionsRevoked} session(s) ended.\n`);
      });
    });
}
