import { entryOf } from '../plan/wanted.js';
import { UsageError } from '../errors.js';
import { hostPorts } from '../ports/index.js';
import { STATE_FILE, parseState } from '../plan/state.js';
import { catalog, tags } from '../registry-api.js';
import { parseRegistry } from './trust.js';
import { SMOKE_REPO } from '../execute/verify.js';
import { CA_CERT, certsDirCa } from '../tls/paths.js';
import { credentialsFor } from './password.js';
import type { RegistryEndpoint } from '../registry-endpoint.js';

export interface QueryFlags {
  registry?: string;
  pageSize?: string;
  user?: string;
  passwordStdin?: boolean;
  json?: boolean;
  root?: string;
}

/**
 * The registry to ask: --registry, else the installed one. TLS when it is recorded as TLS or Docker
 * has a CA for it in certs.d (that CA is trusted); credentials from --user and --password-stdin, else docker login's.
 */
async function registryOf(flags: QueryFlags): Promise<RegistryEndpoint> {
  const ports = hostPorts(flags.root ?? '/');
  const files = ports.files;
  const state = parseState(await files.read(STATE_FILE));
  const entry = flags.registry ? parseRegistry(flags.registry) : state ? entryOf(state) : null;
  if (!entry) throw new UsageError('no registry installed on this host: pass --registry HOST:PORT');
  const ca = await files.read(certsDirCa(entry));
  const tls = ca !== null || (!flags.registry && state?.tls) ? { ca: ca ?? (await files.read(CA_CERT)) } : null;
  // Without --user, what `docker login` saved for it, as the docker CLI would use.
  const found = await credentialsFor(ports, flags, entry);
  const credentials = found && { user: found.user, password: found.password };
  return { entry, tls, credentials };
}

/** `catalog` and `tags NAME`: one per line, or the registry's JSON with --json. */
export async function query(what: 'catalog' | 'tags', name: string | undefined, flags: QueryFlags): Promise<number> {
  if (what === 'tags' && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(name ?? '')) {
    throw new UsageError(`tags: "${name ?? ''}" is not a repository name`);
  }
  const endpoint = await registryOf(flags);
  const http = hostPorts('/').http;
  const size = Number(flags.pageSize ?? 100);
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new UsageError(`--page-size: "${flags.pageSize}" must be a whole number from 1 to 10000`);
  // A RegistryError (unreachable, no such repository) goes on to the command line's handler: exit 1, and under --json the error as JSON too.
  let list = what === 'catalog' ? await catalog(http, endpoint, size) : await tags(http, endpoint, name!, size);
  // The smoke test's repository stays listed after its image is deleted; hide it when empty.
  if (what === 'catalog' && list.includes(SMOKE_REPO) && (await tags(http, endpoint, SMOKE_REPO).catch(() => [])).length === 0) list = list.filter((r) => r !== SMOKE_REPO);
  process.stdout.write(flags.json ? `${JSON.stringify(what === 'catalog' ? { repositories: list } : { name, tags: list })}\n` : list.map((l) => `${l}\n`).join(''));
  return 0;
}
