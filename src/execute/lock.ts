import { rmSync } from 'node:fs';
import type { Ports } from '../ports/index.js';

export const LOCK_FILE = '/run/setup-registry.lock';

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
    await ports.files.remove(LOCK_FILE);
  }
  throw new Error(`could not take the lock ${LOCK_FILE}`);
}
