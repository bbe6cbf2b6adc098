import { crypto } from '../lazy-builtins.js';

/** ustar archives built in memory, for images made with no network (`docker import`, `docker load`). */
export interface TarEntry {
  path: string;
  type: 'file' | 'dir';
  mode: number;
  data?: Buffer;
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'ascii');
  const name = entry.path.replace(/^\/+/, '') + (entry.type === 'dir' ? '/' : '');
  // The images built here hold a handful of short system paths; longer names would need the ustar prefix field.
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for this archive writer: ${name}`);
  put(name, 0, 100);
  put(`${entry.mode.toString(8).padStart(7, '0')}\0`, 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  put('        ', 148, 8);
  put(entry.type === 'dir' ? '5' : '0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(e, data.length));
    if (data.length) parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/** Go's names for the CPU architectures Node.js names differently (an image config uses Go's). */
const GO_ARCH: Partial<Record<string, string>> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };

/**
 * The smoke test's image, as a `docker save` archive for POST /images/load: a config and no layers.
 * Its push is still a real push through dockerd (the config is a blob upload, then the manifest),
 * without a layer for dockerd to compress and upload, or to delete afterwards.
 * The image id is the config's digest, known before loading; the creation time makes it this run's own.
 */
export function emptyImageArchive(repoTag: string, label: string): { tar: Buffer; imageId: string } {
  const config = Buffer.from(
    JSON.stringify({ architecture: GO_ARCH[process.arch] ?? process.arch, os: 'linux', created: new Date().toISOString(), config: { Labels: { 'org.setup-registry.smoke': label } }, rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const digest = crypto().createHash('sha256').update(config).digest('hex');
  const manifest = Buffer.from(JSON.stringify([{ Config: `${digest}.json`, RepoTags: [repoTag], Layers: [] }]));
  const tar = tarArchive([
    { path: `${digest}.json`, type: 'file', mode: 0o644, data: config },
    { path: 'manifest.json', type: 'file', mode: 0o644, data: manifest },
  ]);
  return { tar, imageId: `sha256:${digest}` };
}
