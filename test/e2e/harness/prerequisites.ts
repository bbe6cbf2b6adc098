import { existsSync } from 'node:fs';
import { afterEach, describe } from 'vitest';
import { DockerHost } from './host.js';

/**
 * End-to-end tests need root (namespaces, mounts), a real dockerd and the registry binary.
 * Without them they are skipped loudly; under CI=true a missing prerequisite fails the run,
 * so a skipped end-to-end suite can never pass as green.
 */
const BASE = ['/usr/bin/unshare', '/usr/bin/nsenter', '/usr/sbin/dockerd', '/usr/bin/docker-registry', '/usr/bin/tini', '/usr/sbin/ip'];
export const SYSTEMD_HOST = ['/usr/bin/systemd-nspawn', '/usr/sbin/debootstrap'];

export function missingPrerequisites(extra: readonly string[] = []): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const bin of [...BASE, ...extra]) {
    if (!existsSync(bin)) missing.push(bin);
  }
  return missing;
}

export function describeE2E(name: string, body: () => void, extra: readonly string[] = [], opts: { timeout?: number } = {}): void {
  const missing = missingPrerequisites(extra);
  if (missing.length === 0) {
    describe(name, opts, () => {
      body();
      // Every test host ends with its test; a failed (or timed-out) test first says what they were doing.
      afterEach(async (ctx) => {
        const hosts = [...DockerHost.live];
        const reports = ctx.task.result?.state === 'fail' ? await Promise.all(hosts.map((h) => h.report())) : [];
        await Promise.all(hosts.map((h) => h.destroy()));
        if (reports.length) throw new Error(`the test hosts when the test failed:\n${reports.join('\n\n')}`);
      });
    });
    return;
  }
  const why = `end-to-end suite "${name}" needs: ${missing.join(', ')} (run as root after: apt-get install docker.io docker-registry tini iproute2 systemd-container debootstrap)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      throw new Error(`CI=true and ${why}`);
    });
    return;
  }
  console.warn(`\n!!! SKIPPED ${why}\n`);
  describe.skip(name, body);
}
