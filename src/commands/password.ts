import { UsageError } from '../errors.js';
import type { Ports } from '../ports/index.js';
import { parseUser } from '../tls/htpasswd.js';
import { savedCredentials, type SavedCredentials } from '../facts/docker-credentials.js';

/** From stdin (--password-stdin), a hidden prompt, or --password (which lands in shell history: discouraged). */
export async function readPassword(flags: { passwordStdin?: boolean; password?: string }, interactive: boolean, user: string): Promise<string> {
  if (flags.password !== undefined) return flags.password;
  if (flags.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  if (interactive || process.stdin.isTTY) {
    const { password } = await import('@inquirer/prompts');
    return password({ message: `Password for ${user}`, mask: true });
  }
  throw new UsageError(`no password for ${user}: give it with --password-stdin (or on a terminal)`);
}

/** Whom to ask a registry with auth as: --user (password from stdin or a prompt), else what `docker login` saved. */
export async function credentialsFor(ports: Ports, flags: { user?: string; passwordStdin?: boolean }, entry: string): Promise<SavedCredentials | null> {
  if (flags.user === undefined) return savedCredentials(ports, entry);
  const user = parseUser(flags.user);
  return { user, password: await readPassword({ passwordStdin: flags.passwordStdin }, false, user), source: '--user' };
}
