import { UsageError } from '../errors.js';
import { hostPorts } from '../ports/index.js';
import { STATE_FILE, parseState } from '../plan/state.js';
import { catalog, RegistryError, tags } from '../registry-api.js';
import { parseRegistry } from './trust.js';
import { SMOKE_REPO } from '../execute/verify.js';

export interface QueryFlags {
  registry?: string;
  pageSize?: string;
  json?: boolean;
  root?: string;
}

async function registryOf(flags: QueryFlags): Promise<string> {
  if (flags.registry) return parseRegistry(flags.registry);
  const state = parseState(await hostPorts(flags.root ?? '/').files.read(STATE_FILE));
  if (!state) throw new UsageError('no registry installed on this host: pass --registry HOST:PORT');
  return `${state.address}:${state.port}`;
}

/** `catalog` and `tags NAME`: one per line, or the registry's JSON with --json. */
export async function query(what: 'catalog' | 'tags', name: string | undefined, flags: QueryFlags): Promise<number> {
  if (what === 'tags' && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(name ?? '')) {
    throw new UsageError(`tags: "${name ?? ''}" is not a repository name`);
  }
  const entry = await registryOf(flags);
  const http = hostPorts('/').http;
  try {
    const size = Number(flags.pageSize ?? 100);
    if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new UsageError(`--page-size: "${flags.pageSize}" must be a whole number from 1 to 10000`);
    let list = what === 'catalog' ? await catalog(http, entry, size) : await tags(http, entry, name!, size);
    // The smoke test's repository stays listed after its image is deleted; hide it when empty.
    if (what === 'catalog' && list.includes(SMOKE_REPO) && (await tags(http, entry, SMOKE_REPO).catch(() => [])).length === 0) list = list.filter((r) => r !== SMOKE_REPO);
    process.stdout.write(flags.json ? `${JSON.stringify(what === 'catalog' ? { repositories: list } : { name, tags: list })}\n` : list.map((l) => `${l}\n`).join(''));
    return 0;
  } catch (err) {
    if (err instanceof RegistryError) {
      process.stderr.write(`setup-registry: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
