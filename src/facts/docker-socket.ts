import type { HostFiles } from '../ports/files.js';
import { parseDaemonJson } from '../formats/daemon-json.js';
import { DEFAULT_DOCKER_SOCKET, dockerdHosts, unixSocketOf } from '../knowledge/dockerd-options.js';
import { listenStreams } from '../formats/systemd-unit.js';
import { daemonJsonPath, readUnitSources, UNIT } from './daemon-startup.js';
import { findDockerd } from './dockerd-process.js';

/**
 * The unix socket the running dockerd serves its API on when it is not the default one: told
 * `-H unix:///run/other.sock`, or "hosts" in its daemon.json, or, for `-H fd://`, where its
 * systemd socket unit listens. Asked only when the default socket
 * is not there, so a usual host pays nothing for it. Null: no dockerd, or none of its addresses
 * is a unix socket other than the default.
 */
export async function locateDockerSocket(live: HostFiles, files: HostFiles): Promise<string | null> {
  const dockerd = await findDockerd(live);
  if (!dockerd) return null;
  const hosts = dockerdHosts(dockerd.argv, await configOf(files, daemonJsonPath(dockerd.argv, { flagSites: [] })));
  const sockets = await Promise.all(hosts.map((h) => (h.startsWith('fd://') ? activatedSockets(files, dockerd.unit) : [unixSocketOf(h)])));
  return sockets.flat().find((s): s is string => s !== null && s !== DEFAULT_DOCKER_SOCKET) ?? null;
}

/** `-H fd://`: systemd hands dockerd the sockets of its socket unit (docker.socket beside docker.service), where ListenStream= says. */
async function activatedSockets(files: HostFiles, service: string | null): Promise<string[]> {
  const unit = `${(service ?? UNIT).replace(/\.service$/, '')}.socket`;
  return listenStreams(await readUnitSources(files, unit)).filter((l) => l.startsWith('/'));
}

async function configOf(files: HostFiles, path: string) {
  try {
    const text = await files.read(path);
    return text === null ? null : parseDaemonJson(text, path).config;
  } catch {
    return null; // a daemon.json dockerd could not read either: its flags decide
  }
}
