import { zlib } from '../lazy-builtins.js';
import type { HostFiles } from '../ports/files.js';
import { UsageError } from '../errors.js';

/**
 * The tags inside a `docker save` archive (its manifest.json), read before anything changes so the
 * container can name the image it will run. Plain and gzip-compressed archives are read.
 */
export async function archiveTags(files: HostFiles, archive: string): Promise<string[]> {
  let data = await files.readBytes(archive);
  if (!data) throw new UsageError(`--image-archive: ${archive} does not exist`);
  if (data[0] === 0x1f && data[1] === 0x8b) data = zlib().gunzipSync(data);
  for (let off = 0; off + 512 <= data.length; ) {
    const name = data.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(data.subarray(off + 124, off + 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'manifest.json' || name === './manifest.json') {
      const manifest = JSON.parse(data.subarray(off + 512, off + 512 + size).toString('utf8')) as { RepoTags?: string[] | null }[];
      return manifest.flatMap((m) => m.RepoTags ?? []);
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new UsageError(`--image-archive: ${archive} is not an image archive made by docker save (no manifest.json)`);
}
