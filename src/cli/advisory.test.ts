import { testKeyring } from '../../test/support/app.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingOpener, runCli, type CountingOpener } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import type { AdvisoryDetails, AdvisoryTranslation, AdvisoryUpdate } from '../modules/advisories/advisory.model.js';
import { verifyAuditChains } from '../platform/audit/audit.service.js';
import { FixedClock } from '../platform/clock.js';
import { registerAdvisoryCommand, type AdvisoryRuntime } from './advisory.js';

describe.each(backends)('riposte advisory on %s', (backend) => {
  let database: TestDatabase;
  let clock: FixedClock;
  let runtime: CountingOpener<{ dataDir?: string }, AdvisoryRuntime>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    clock = new FixedClock('2026-06-01T12:00:00.000Z');
    runtime = countingOpener(() => ({ db: database.db, clock, keyring: testKeyring(database) }));
  });
  afterEach(() => database.dispose());

  function markdownFile(name: string, text: string): string {
    const file = path.join(database.dataDir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli((program, output) => registerAdvisoryCommand(program, runtime.open, output), ['advisory', ...args]);
    return stdout;
  }
  const runJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await run(...args, '--json')) as T;

  it('creates, translates, updates, publishes and shows an advisory from markdown files', async () => {
    const created = await runJson<{ id: number }>(
      'create',
      '--title',
      'Passwords reset',
      '--body',
      markdownFile('en.md', '# What happened\nA leak.'),
    );
    expect(created).toEqual({ id: expect.any(Number) });
    const id = String(created.id);

    const french = await runJson<AdvisoryTranslation>(
      'translate',
      id,
      '--locale',
      'fr',
      '--title',
      'Mots de passe',
      '--body',
      markdownFile('fr.md', '# Ce qui s’est passé\nUne fuite.'),
      '--machine-translated',
    );
    expect(french).toMatchObject({ locale: 'fr', revision: 1, machineTranslated: true, outdated: false });

    clock.advance(60_000);
    const update = await runJson<AdvisoryUpdate>(
      'update',
      id,
      '--body',
      markdownFile('u1.md', 'All reset.'),
      '--translation',
      `fr=${markdownFile('u1.fr.md', 'Tous réinitialisés.')}`,
    );
    expect(update).toMatchObject({ seq: 1, actor: 'cli', bodies: [{ locale: 'en' }, { locale: 'fr' }] });

    await run('translate', id, '--locale', 'en', '--title', 'Passwords reset', '--body', markdownFile('en2.md', 'A leak in 2016.'));
    const published = await runJson<AdvisoryDetails>('publish', id);
    expect(published.state).toBe('published');

    const shown = await runJson<AdvisoryDetails>('show', id);
    expect(shown.translations.map((t) => [t.locale, t.revision, t.outdated])).toEqual([
      ['en', 2, false],
      ['fr', 1, true],
    ]);
    expect(shown.revisions).toHaveLength(3);
    const text = await run('show', id);
    expect(text).toContain('fr revision 1');
    expect(text).toContain('OUTDATED');
    expect(text).toContain(`/hc/fr/articles/${id}`);
    expect(await runJson<Array<{ id: number }>>('list')).toEqual([expect.objectContaining({ id: created.id, state: 'published' })]);
    expect(runtime.closed).toBe(runtime.opened.length);
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
  });

  it('refuses a missing markdown file, an unknown locale and a rewrite of an update, saying what to do', async () => {
    await expect(run('create', '--title', 'T', '--body', path.join(database.dataDir, 'missing.md'))).rejects.toThrow(
      /Cannot read --body .*missing\.md \(ENOENT\); give the path of a markdown file/,
    );
    const { id } = await runJson<{ id: number }>('create', '--title', 'T', '--body', markdownFile('a.md', 'Body'));
    await expect(run('translate', String(id), '--locale', 'de', '--title', 'T', '--body', markdownFile('b.md', 'x'))).rejects.toThrow(
      /use one of en, fr/,
    );
    await run('update', String(id), '--body', markdownFile('u.md', 'x'));
    await expect(run('translate', String(id), '--update', '1', '--locale', 'en', '--body', markdownFile('c.md', 'y'))).rejects.toThrow(
      /never rewritten/,
    );
    await expect(run('translate', String(id), '--locale', 'fr', '--body', markdownFile('d.md', 'y'))).rejects.toThrow(/Give --title/);
    expect(runtime.closed).toBe(runtime.opened.length);
  });
});
