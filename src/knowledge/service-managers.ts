import type { Invocation } from '../plan/actions.js';
import { readVariable, sourcedVariable } from '../formats/env-file.js';

/**
 * How each init system starts, reloads and restarts dockerd, in one place.
 * systemd's ExecReload for docker is `kill -s HUP $MAINPID`, so `systemctl reload` is a SIGHUP too,
 * with systemd keeping track of it; elsewhere we send SIGHUP to the pid ourselves.
 */
export type InitSystem = 'systemd' | 'sysvinit';
/** sysvinit: the docker init script's link in the default runlevel (S: starts at boot; K: disabled; none). */
export type BootLinks = 'start' | 'stop' | 'none';

/**
 * A variable of an environment file as dockerd's start-up reads it: an init script sources the
 * file with the shell, which expands `$DOCKER_OPTS` and the like; systemd's EnvironmentFile= takes `$` literally.
 */
export function variableAsRead(text: string, name: string, file: string, init: InitSystem): string | undefined {
  return init === 'systemd' ? readVariable(text, name, file) : sourcedVariable(text, name, file);
}

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
  /** The command that prints dockerd's last log lines: why it did not come up, or refused a reload. */
  logs(lines?: number): string[];
}

/**
 * `unit`: the service dockerd runs as (docker.service, or snap's snap.docker.dockerd.service);
 * `reloadable`: whether that unit has an ExecReload (`systemctl reload` refuses one without:
 * then the SIGHUP goes to dockerd's pid, which is all ExecReload would do).
 */
function systemd(unit: string, reloadable: boolean): ServiceManager {
  const name = unit.replace(/\.service$/, '');
  return {
    init: 'systemd',
    reload: (pid) => (reloadable ? { argv: ['systemctl', 'reload', name] } : pid ? { signal: 'SIGHUP', pid } : null),
    restart: () => ({ argv: ['systemctl', 'restart', name] }),
    start: () => ({ argv: ['systemctl', 'start', name] }),
    clearFailure: () => ({ argv: ['systemctl', 'reset-failed', name] }),
    reloadUnits: () => ({ argv: ['systemctl', 'daemon-reload'] }),
    enableAtBoot: () => ({ argv: ['systemctl', 'enable', name] }),
    stopAndDisable: (service) => [['systemctl', 'disable', '--now', service]],
    logs: (lines = 15) => ['journalctl', '-u', name, '--no-pager', '-n', String(lines), '-o', 'cat'],
  };
}

/** `bootLinks`: the init script's rc link now: `enable` turns a K link back to S, `defaults` makes links where there are none. */
function sysvinit(bootLinks: BootLinks | null): ServiceManager {
  return {
    init: 'sysvinit',
    reload: (pid) => (pid ? { signal: 'SIGHUP', pid } : null),
    restart: () => ({ argv: ['service', 'docker', 'restart'] }),
    start: () => ({ argv: ['service', 'docker', 'start'] }),
    clearFailure: () => null,
    reloadUnits: () => null,
    enableAtBoot: () => (bootLinks === 'stop' ? { argv: ['update-rc.d', 'docker', 'enable'] } : bootLinks === 'none' ? { argv: ['update-rc.d', 'docker', 'defaults'] } : null),
    stopAndDisable: (service) => [['service', service, 'stop'], ['update-rc.d', service, 'disable']],
    logs: (lines = 15) => ['tail', '-n', String(lines), '/var/log/docker.log'],
  };
}

/**
 * The manager of this host's dockerd, from gathered facts: its init system, and under systemd the
 * unit it runs as (a unit whose files were not found is taken to reload as docker.service does).
 */
export function managerOf(facts: { init: InitSystem; startup: { unit: string; service: { execReload: boolean } | null; bootLinks?: BootLinks | null } }): ServiceManager {
  return facts.init === 'systemd' ? systemd(facts.startup.unit, facts.startup.service?.execReload ?? true) : sysvinit(facts.startup.bootLinks ?? null);
}
