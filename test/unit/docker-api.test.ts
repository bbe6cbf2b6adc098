import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerApi } from '../../src/ports/docker-api.js';

/** The Engine API port over real unix sockets: a dockerd told -H unix:///elsewhere is asked there. */
describe('dockerApi: dockerd on a socket of its own', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sr-sock-'));
  const elsewhere = path.join(dir, 'alt.sock');
  const server = http.createServer((req, res) => res.end(`pong ${req.url}`));
  beforeAll(() => new Promise<void>((resolve) => server.listen(elsewhere, resolve)));
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the default socket missing: asks where dockerd listens, once, and goes there from then on', async () => {
    let asked = 0;
    const api = dockerApi(path.join(dir, 'missing.sock'), async () => (asked++, elsewhere));
    const [a, b] = await Promise.all([api.request('GET', '/_ping'), api.request('GET', '/info')]);
    expect([a.text, b.text]).toEqual(['pong /_ping', 'pong /info']);
    expect(api.socket).toBe(elsewhere);
    expect((await api.request('GET', '/version')).text).toBe('pong /version');
    expect(asked).toBe(1);
  });

  it('nowhere else to go: the error names the socket asked; none found is asked again after a second (a dockerd may be starting), not at every request', async () => {
    const missing = path.join(dir, 'missing.sock');
    await expect(dockerApi(missing).request('GET', '/_ping')).rejects.toThrow(`Cannot connect to the Docker daemon at unix://${missing} (ENOENT)`);
    let now = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const answers: (string | null)[] = [null, elsewhere];
      let asked = 0;
      const api = dockerApi(missing, async () => answers[asked++] ?? null);
      await expect(api.request('GET', '/_ping')).rejects.toThrow('ENOENT');
      now += 500;
      await expect(api.request('GET', '/_ping')).rejects.toThrow('ENOENT');
      expect(asked).toBe(1);
      now += 600;
      expect((await api.request('GET', '/_ping')).text).toBe('pong /_ping');
      expect(asked).toBe(2);
    } finally {
      clock.mockRestore();
    }
  });
});
