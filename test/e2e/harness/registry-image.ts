import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CACHE = '/tmp/setup-registry-e2e';
export const ROOTFS_TAR = path.join(CACHE, 'registry-rootfs.tar');

// The registry binary from Debian's docker-registry package, in a minimal rootfs: a real
// registry image with no Docker Hub. Its config is overridden by REGISTRY_* variables.
const CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
`;

/** Builds the registry rootfs tarball once per machine (atomically, so parallel workers may race). */
export function registryRootfsTar(): string {
  if (existsSync(ROOTFS_TAR)) return ROOTFS_TAR;
  mkdirSync(CACHE, { recursive: true });
  const root = mkdtempSync(path.join(CACHE, 'rootfs-'));
  for (const d of ['bin', 'lib/x86_64-linux-gnu', 'lib64', 'etc/docker/registry', 'var/lib/registry', 'tmp']) mkdirSync(path.join(root, d), { recursive: true });
  copyFileSync('/usr/bin/docker-registry', path.join(root, 'bin/registry'));
  // The libraries the binary links, as ldd names them.
  const ldd = execFileSync('ldd', ['/usr/bin/docker-registry'], { encoding: 'utf8' });
  for (const m of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) {
    const lib = m[1]!;
    mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
    copyFileSync(lib, path.join(root, lib));
  }
  writeFileSync(path.join(root, 'etc/docker/registry/config.yml'), CONFIG);
  const tmp = `${ROOTFS_TAR}.${process.pid}`;
  execFileSync('tar', ['-C', root, '-cf', tmp, '.']);
  renameSync(tmp, ROOTFS_TAR);
  rmSync(root, { recursive: true, force: true });
  return ROOTFS_TAR;
}

export const IMPORT_CHANGES = [
  'ENTRYPOINT ["/bin/registry"]',
  'CMD ["serve","/etc/docker/registry/config.yml"]',
  'EXPOSE 5000',
  'VOLUME ["/var/lib/registry"]',
];
