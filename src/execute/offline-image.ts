import path from 'node:path';
import type { Ports } from '../ports/index.js';
import { DockerApiError } from '../ports/docker-api.js';
import { tarArchive, type TarEntry } from './tiny-image.js';

/** The image's shape, the same as the registry images on Docker Hub. */
const CHANGES = [
  'ENTRYPOINT ["/bin/registry"]',
  'CMD ["serve", "/etc/docker/registry/config.yml"]',
  'EXPOSE 5000',
  'VOLUME ["/var/lib/registry"]',
];

/**
 * Builds a registry image without any network: the distro's registry binary, the shared libraries
 * it links (as ldd lists them), a minimal config, imported with the entrypoint, command, port and
 * volume of the upstream image. Tagged so its origin is clear (setup-registry/registry:VERSION).
 */
export async function buildOfflineImage(ports: Ports, binary: string, tag: string, config: string, packageLabel: string): Promise<void> {
  const ldd = await ports.processes.probe(['ldd', ports.files.real(binary)]);
  const libs = ldd.exitCode === 0 ? [...ldd.stdout.matchAll(/(\/\S+\.so[.\d]*)\s+\(0x/g)].map((m) => m[1]!) : [];
  const entries: TarEntry[] = [];
  const dirs = new Set<string>(['/bin', '/etc', '/etc/docker', '/etc/docker/registry', '/var', '/var/lib', '/var/lib/registry', '/tmp']);
  for (const lib of libs) for (let d = path.dirname(lib); d !== '/'; d = path.dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort()) entries.push({ path: d, type: 'dir', mode: d === '/tmp' ? 0o1777 : 0o755 });
  const read = async (file: string) => {
    const data = await ports.files.readBytes(file);
    if (!data) throw new Error(`${file} is missing: the ${packageLabel} package looks broken`);
    return data;
  };
  entries.push({ path: '/bin/registry', type: 'file', mode: 0o755, data: await read(binary) });
  for (const lib of libs) entries.push({ path: lib, type: 'file', mode: 0o755, data: await read(lib) });
  entries.push({ path: '/etc/docker/registry/config.yml', type: 'file', mode: 0o644, data: Buffer.from(config) });
  const [repo, version] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
  const query = [`fromSrc=-`, `repo=${encodeURIComponent(repo)}`, `tag=${encodeURIComponent(version)}`, ...[...CHANGES, `LABEL io.github.setup-registry.source="${packageLabel}"`].map((c) => `changes=${encodeURIComponent(c)}`)].join('&');
  const body = tarArchive(entries);
  const load = () => ports.docker.request('POST', `/images/create?${query}`, { body, headers: { 'Content-Type': 'application/x-tar' } });
  // Seen once on a loaded machine: dockerd closed the socket during the 20 MB upload (EPIPE). An
  // import of the same files under the same tag is harmless to repeat, so it is tried once more.
  const r = await load().catch((err: { code?: string }) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? load() : Promise.reject(err)));
  if (r.status !== 200 || /"error"/.test(r.text)) throw new DockerApiError(`POST /images/create (import ${tag}): HTTP ${r.status} ${r.text.trim()}`);
}
