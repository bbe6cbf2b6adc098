import type { Invocation } from '../plan/actions.js';

/**
 * How each init system starts, reloads and restarts dockerd, in one place.
 * systemd's ExecReload for docker is `kill -s HUP $MAINPID`, so `systemctl reload` is a SIGHUP too,
 * with systemd keeping track of it; elsewhere we send SIGHUP to the pid ourselves.
 */
export type InitSystem = 'systemd' | 'sysvinit';

export interface ServiceManager {
  init: InitSystem;
  reload(pid: number | null): Invocation | null;
  restart(): Invocation;
  start(): Invocation;
  /** systemd refuses to start a unit that failed too often until its failure is cleared. */
  clearFailure(): Invocation | null;
  /** systemd must re-read unit files after a drop-in changes. */
  reloadUnits(): Invocation | null;
  enableAtBoot(): Invocation | null;
  /** Stops another service now and at boot (a package's own registry service, when we only want its binary). */
  stopAndDisable(service: string): string[][];
  /** dockerd's last log lines, for when it does not come up. */
  logs: string[];
}

const SYSTEMD: ServiceManager = {
  init: 'systemd',
  reload: () => ({ argv: ['systemctl', 'reload', 'docker'] }),
  restart: () => ({ argv: ['systemctl', 'restart', 'docker'] }),
  start: () => ({ argv: ['systemctl', 'start', 'docker'] }),
  clearFailure: () => ({ argv: ['systemctl', 'reset-failed', 'docker'] }),
  reloadUnits: () => ({ argv: ['systemctl', 'daemon-reload'] }),
  enableAtBoot: () => ({ argv: ['systemctl', 'enable', 'docker'] }),
  stopAndDisable: (service) => [['systemctl', 'disable', '--now', service]],
  logs: ['journalctl', '-u', 'docker', '--no-pager', '-n', '15', '-o', 'cat'],
};

const SYSVINIT: ServiceManager = {
  init: 'sysvinit',
  reload: (pid) => (pid ? { signal: 'SIGHUP', pid } : null),
  restart: () => ({ argv: ['service', 'docker', 'restart'] }),
  start: () => ({ argv: ['service', 'docker', 'start'] }),
  clearFailure: () => null,
  reloadUnits: () => null,
  enableAtBoot: () => null,
  stopAndDisable: (service) => [['service', service, 'stop'], ['update-rc.d', service, 'disable']],
  logs: ['tail', '-n', '15', '/var/log/docker.log'],
};

export function serviceManager(init: InitSystem): ServiceManager {
  return init === 'systemd' ? SYSTEMD : SYSVINIT;
}
