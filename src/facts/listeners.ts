import type { HostFiles } from '../ports/files.js';
import type { PortHolder } from './types.js';

const LISTEN = '0A';

/**
 * The kernel's tables of TCP sockets, IPv4 and IPv6. Reading one makes the kernel walk its whole
 * socket hash table, every network namespace's (about 2 ms a file on a machine with 24 GB, more on
 * bigger ones): they are read on the thread pool, started while dockerd answers its questions.
 */
export function listenerTables(proc: HostFiles): Promise<string[]> {
  return Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map(async (table) => (await proc.read(table, { offThread: true })) ?? ''));
}

/** Who listens on a TCP port, from the socket tables (listenerTables), and the owning process when we can see it. */
export async function portHolder(proc: HostFiles, port: number, ourContainerPort: string | null, tables: readonly string[]): Promise<PortHolder | null> {
  const inodes: string[] = [];
  for (const text of tables) {
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      if (parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.push(f[9]!);
    }
  }
  if (inodes.length === 0) return null;
  const owner = await ownerOf(proc, inodes);
  const isProxy = owner?.comm === 'docker-proxy';
  const ours = isProxy && ourContainerPort === String(port);
  const description = owner ? `${owner.comm} (pid ${owner.pid})${isProxy && !ours ? ', a port published by another container (see docker ps)' : ''}` : 'a process this user cannot see';
  return { port, description, ours, proxy: isProxy };
}

async function ownerOf(proc: HostFiles, inodes: string[]): Promise<{ pid: number; comm: string } | null> {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  for (const pid of await proc.list('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    for (const fd of await proc.list(`/proc/${pid}/fd`).catch(() => [] as string[])) {
      const link = await proc.readlink(`/proc/${pid}/fd/${fd}`);
      if (link && wanted.has(link)) return { pid: Number(pid), comm: ((await proc.read(`/proc/${pid}/comm`)) ?? '?').trim() };
    }
  }
  return null;
}
