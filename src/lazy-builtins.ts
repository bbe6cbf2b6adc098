import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/**
 * Node.js built-ins that cost milliseconds to load (crypto loads its whole family of modules) and
 * that a run needs only for some work (a digest, TLS, a compressed archive): loaded on
 * first use, so a check or a no-op run never pays for them, and an install pays while it waits on dockerd.
 */
function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}

export const crypto = lazy<typeof import('node:crypto')>('node:crypto');
export const zlib = lazy<typeof import('node:zlib')>('node:zlib');
export const https = lazy<typeof import('node:https')>('node:https');
