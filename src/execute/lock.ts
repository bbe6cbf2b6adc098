import { rmSync } from 'node:fs';
import type { Ports } from '../ports/index.js';

export const LOCK_FILE = '/run/setup-registry.lock';

/** Where the tool writes (temp files sit next to their targets), for the sweep after a dead run. */
const WRITTEN_DIRS = ['/etc/docker', '/etc/default', '/etc/sysconfig', '/etc/systemd/system/docker.service.d', '/etc/systemd/system/snap.docker.dockerd.service.d', '/var/snap/docker/current/config', '/etc/setup-registry', '/etc/setup-registry/ca', '/etc/setup-registry/tls', '/etc/setup-registry/auth'];

async function sweepTempFiles(ports: Ports, pid: number): Promise<void> {
  const mark = new RegExp(`(setup-registry-|\\.)${pid}\\.(tmp|new|csr|ext)$`);
  for (const dir of WRITTEN_DIRS) {
    for (const name of await ports.files.list(dir)) if (mark.test(name)) await ports.files.remove(`${dir}/${name}`);
  }
}

/**
 * One run at a time per host: a lock file under /run holding our pid. A lock whose pid is gone
 * (or is no longer setup-registry) is stale and taken over. Released on every exit path,
 * including a signal that ends the process.
 */
export async function acquireLock(ports: Ports): Promise<() => void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await ports.files.createExclusive(LOCK_FILE, `${process.pid}\n`)) {
      const path = ports.files.real(LOCK_FILE);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        rmSync(path, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    }
    const pid = Number((await ports.files.read(LOCK_FILE))?.trim());
    const cmdline = Number.isInteger(pid) && pid > 0 ? await ports.live.read(`/proc/${pid}/cmdline`).catch(() => null) : null;
    if (cmdline?.includes('setup-registry')) {
      throw new Error(`another setup-registry run (pid ${pid}) is changing this host; wait for it to finish (lock: ${LOCK_FILE})`);
    }
    // The run that held it died (kill -9): its files are whole (atomic renames), but its temp files may be left.
    if (Number.isInteger(pid) && pid > 0) await sweepTempFiles(ports, pid);
    await ports.files.remove(LOCK_FILE);
  }
  throw new Error(`could not take the lock ${LOCK_FILE}`);
}
