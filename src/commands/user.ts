import { HostRefusal, UsageError } from '../errors.js';
import { acquireLock } from '../execute/lock.js';
import { gatherFacts } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { parseState, STATE_FILE } from '../plan/state.js';
import { parseHtpasswd, parseUser, withoutUser, withUser } from '../tls/htpasswd.js';
import { HTPASSWD } from '../tls/paths.js';
import { waitForRegistry } from '../execute/verify.js';
import { createOutput } from '../output.js';
import { applyChange, assertCanAsk } from './apply.js';
import { registryEndpoint } from './install.js';
import { readPassword } from './password.js';
import { DEFAULTS, entryOf } from '../plan/wanted.js';

export interface UserFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  passwordStdin?: boolean;
  password?: string;
  root?: string;
}

/** `user add|remove|list`: the registry's htpasswd users; the pushed images are untouched. */
export async function user(action: string, name: string | undefined, flags: UserFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  const ports = hostPorts(flags.root ?? '/');
  const state = parseState(await ports.files.read(STATE_FILE));
  if (!state?.auth) throw new UsageError('no registry with --auth was installed on this host');
  const current = await ports.files.read(HTPASSWD);
  if (action === 'list') {
    const users = [...parseHtpasswd(current).keys()];
    process.stdout.write(flags.json ? `${JSON.stringify({ users })}\n` : users.map((u) => `${u}\n`).join(''));
    return 0;
  }
  if (action !== 'add' && action !== 'remove') throw new UsageError(`user: unknown action "${action}" (add, remove, list)`);
  if (!name) throw new UsageError(`user ${action}: name the user`);
  const username = parseUser(name);
  assertCanAsk(flags);
  const interactive = !flags.yes && !flags.dryRun;
  const users = parseHtpasswd(current);
  if (action === 'remove' && !users.has(username)) {
    out.say(`no user ${username}; nothing changed`);
    return 0;
  }
  // With auth on and nobody in htpasswd, no one could push or pull again: surely not what was meant.
  if (action === 'remove' && users.size === 1) {
    throw new HostRefusal(`${username} is the registry's only user: removed, nobody could log in; add another first (setup-registry user add NAME)`);
  }
  const next = action === 'add' ? await withUser(current, username, await readPassword(flags, interactive, username)) : withoutUser(current, username);
  if (next === current) {
    out.say(`${username} already has that password; nothing changed`);
    return 0;
  }
  if (!flags.dryRun) await acquireLock(ports);
  const facts = await gatherFacts(ports, { registry: { name: state.name, port: state.port, image: state.image, tls: true, entry: entryOf(state) } });
  const change = {
    actions: [
      { kind: 'write-file' as const, path: HTPASSWD, before: current, after: next, mode: 0o600, why: `${action} ${username}`, secret: true },
      { kind: 'container' as const, op: 'restart' as const, argv: ['docker', 'restart', state.name], why: 'the registry reads the password file when it starts' },
    ],
    notes: [],
    daemon: 'none' as const,
  };
  const entry = entryOf(state);
  const endpoint = await registryEndpoint(ports, entry, { tls: state.tls ? { sans: state.tls.sans, ...(state.tls.provided ? { provided: 'kept' as const } : {}) } : undefined });
  const timeoutMs = DEFAULTS.timeoutSeconds * 1000;
  const applied = await applyChange(ports, out, flags, facts, change, [{ title: 'the registry answers again', run: async () => void (await waitForRegistry(ports, endpoint, timeoutMs, state.name)) }], timeoutMs);
  if (applied.status !== 'applied') return applied.status === 'dry-run' ? 0 : 1;
  if (applied.report.failure) return 1;
  out.say(action === 'add' ? `user ${username} can log in: docker login ${entry} -u ${username}` : `user ${username} removed`);
  return 0;
}
