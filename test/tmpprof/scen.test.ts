import { it } from 'vitest';
import { TestHost } from '../e2e/harness/namespace-host.js';
import { TEST_ADDRESS } from '../e2e/harness/host.js';
const cases: [string, string, string[]][] = [
  ['CIDR covers it', '{"insecure-registries": ["198.18.0.0/16"]}\n', ['--yes', '--address', TEST_ADDRESS]],
  ['hostname entry already', '{"insecure-registries": ["198.18.0.1:5000"], "debug": true}\n', ['--yes', '--address', TEST_ADDRESS]],
  ['max-concurrent-uploads', '{"max-concurrent-uploads": 1, "features": {"buildkit": true}}\n', ['--yes', '--address', TEST_ADDRESS, '--port', '5443']],
];
it('scenarios', async () => {
  for (const [name, dj, args] of cases) {
    const h = await TestHost.create({ daemonJson: dj });
    try {
      const r = await h.tool(...args);
      const c = await h.tool('check');
      console.log(name, r.stdout.split('\n').slice(0, 12).join('\n'), '\nDJ:', (await h.sh('cat /etc/docker/daemon.json')).stdout);
      console.log('CASE', name, 'install', r.exitCode, 'check', c.exitCode, r.exitCode ? r.stdout.split('\n').filter((l) => /✖|fail|rolled/.test(l)).join(' | ') + r.stderr : '', c.exitCode ? c.stdout.split('\n').filter((l) => /✖|!/.test(l)).join(' | ') : '');
    } finally { await h.destroy(); }
  }
}, 300000);
