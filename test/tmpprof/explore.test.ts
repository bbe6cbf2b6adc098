import { it } from 'vitest';
import { TestHost } from '../e2e/harness/namespace-host.js';
import { TEST_ADDRESS } from '../e2e/harness/host.js';

it('explore', async () => {
  const host = await TestHost.create({ daemonJson: '{"debug": true}\n' });
  const log = (label: string, r: { exitCode: number | null; stdout: string; stderr: string }) => console.log(`=== ${label} (exit ${r.exitCode}) ${r.stdout} | ${r.stderr}`);
  try {
    log('300', await host.tool('--yes', '--address', '300.1.1.1'));
    log('daemon.json', await host.sh('cat /etc/docker/daemon.json; ls /etc/setup-registry; docker ps -a'));
    log('san', await host.tool('--yes', '--address', TEST_ADDRESS, '--san', 'x', 'y'));
    log('state', await host.sh('cat /etc/setup-registry/state.json'));
  } finally {
    await host.destroy();
  }
}, 300_000);
