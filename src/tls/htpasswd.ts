import { UsageError } from '../errors.js';

/** htpasswd with bcrypt, the only hash the registry accepts. One user per line. */
export function parseHtpasswd(text: string | null): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) users.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return users;
}

export function renderHtpasswd(users: Map<string, string>): string {
  return [...users].map(([u, h]) => `${u}:${h}\n`).join('');
}

export function parseUser(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`"${name}" is not a user name (letters, digits, . _ -)`);
  return name;
}

/** The file with `user` set to `password`: an existing line whose hash already matches is kept, so reruns change nothing. */
export async function withUser(text: string | null, user: string, password: string): Promise<string> {
  if (!password) throw new UsageError('the password is empty');
  // Seen with docker 28.2: a password with spaces around it could be set, and then never log in.
  if (password !== password.trim()) throw new UsageError('the password starts or ends with white space, which docker login takes off before it sends it, so it could never log in: choose one without');
  // Only runs that set a password pay for loading bcrypt.
  const { compareSync, hashSync } = await import('bcryptjs');
  const users = parseHtpasswd(text);
  const current = users.get(user);
  if (!current || !compareSync(password, current)) users.set(user, hashSync(password, 10));
  return renderHtpasswd(users);
}

export function withoutUser(text: string | null, user: string): string {
  const users = parseHtpasswd(text);
  users.delete(user);
  return renderHtpasswd(users);
}
