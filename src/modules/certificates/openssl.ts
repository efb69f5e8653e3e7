import { execFile } from 'node:child_process';
import { AppError } from '../../errors.js';

/**
 * Runs the `openssl` command line tool (the embedded default makes its
 * self-signed certificate with it) and returns its standard output.
 * Arguments go to the process as a list, never through a shell.
 *
 * @example
 * const version = await runOpenssl(['version']);
 */
export function runOpenssl(args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      [...args],
      { cwd: options.cwd, timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new AppError(
            'OpensslFailed',
            missing
              ? 'The openssl command was not found. Install OpenSSL, or give the HTTPS server a default certificate.'
              : `openssl ${args[0] ?? ''} failed; see the log for its message.`,
            { cause: error, detail: stderr.slice(0, 2_000) },
          ),
        );
      },
    );
    // Nothing waits for input unless given: a prompt must not hang the start.
    // openssl may exit before reading its input; the exit status, reported
    // above, is what counts, so a broken pipe on stdin is not an error.
    child.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE')
        reject(new AppError('OpensslFailed', `openssl ${args[0] ?? ''} failed to read its input.`, { cause: error }));
    });
    child.stdin?.end(options.input ?? '');
  });
}
