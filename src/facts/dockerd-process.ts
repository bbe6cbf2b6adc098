import type { HostFiles } from '../ports/files.js';

export const DEFAULT_PIDFILE = '/var/run/docker.pid';

/**
 * Finds the running dockerd: the pid in its pidfile when that process is alive and is dockerd,
 * else the first dockerd in /proc. `proc` is the live filesystem (never the --root tree).
 */
export async function findDockerd(proc: HostFiles): Promise<{ pid: number; argv: string[]; unit: string | null } | null> {
  const found = await findProcess(proc);
  return found && { ...found, unit: unitOfCgroup((await proc.read(`/proc/${found.pid}/cgroup`).catch(() => null)) ?? '') };
}

async function findProcess(proc: HostFiles): Promise<{ pid: number; argv: string[] } | null> {
  const fromPidfile = await readArgv(proc, Number((await proc.read(DEFAULT_PIDFILE))?.trim()));
  if (fromPidfile) return fromPidfile;
  for (const entry of await proc.list('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = (await proc.read(`/proc/${entry}/comm`).catch(() => null))?.trim();
    if (comm !== 'dockerd') continue;
    const found = await readArgv(proc, Number(entry));
    if (found) return found;
  }
  return null;
}

/**
 * The systemd service a process runs in, from /proc/PID/cgroup (v2 `0::/system.slice/X.service`,
 * or v1's `name=systemd` hierarchy): not every dockerd is docker.service (snap's is
 * snap.docker.dockerd.service). The innermost service counts (a host inside a container has the
 * outer one's path in front). Only a service named for Docker is taken: a dockerd started by hand
 * inside another service's cgroup must not have that service reloaded or restarted in its name.
 */
export function unitOfCgroup(text: string): string | null {
  const lines = text.split('\n');
  const path = lines.find((l) => l.startsWith('0::')) ?? lines.find((l) => /^\d+:name=systemd:/.test(l));
  const service = (path?.split(':').slice(2).join(':') ?? '').split('/').filter((p) => p.endsWith('.service')).at(-1);
  return service && /docker|moby/i.test(service) ? service : null;
}

async function readArgv(proc: HostFiles, pid: number): Promise<{ pid: number; argv: string[] } | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const raw = await proc.read(`/proc/${pid}/cmdline`).catch(() => null);
  if (!raw) return null;
  const argv = raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  if (!argv[0] || !/(^|\/)dockerd$/.test(argv[0])) return null;
  const status = await proc.read(`/proc/${pid}/status`).catch(() => null);
  if (status && /^State:\s+Z/m.test(status)) return null;
  return { pid, argv };
}
