import { describe, expect, it } from 'vitest';
import { containerFacts } from '../../src/facts/docker-engine.js';

/** What the facts say of the registry container, with dockerd replaced by a fake that answers in turn. */
describe('containerFacts', () => {
  // A container being removed (a docker rm whose client was killed) is neither there to start nor gone: it is waited for.
  const inspect = (status: string) => JSON.stringify({ Id: 'c1', State: { Running: false, Status: status }, Config: { Image: 'registry:3', Env: [], Labels: {} }, HostConfig: { RestartPolicy: { Name: 'always' }, PortBindings: null }, Mounts: [] });
  const dockerd = (answers: { status: number; text: string }[]) => ({ socket: '/fake.sock', request: async () => answers.shift() ?? { status: 404, text: '' } });
  it('waits out a removal under way: gone, or settled', async () => {
    expect(await containerFacts(dockerd([{ status: 200, text: inspect('removing') }, { status: 200, text: inspect('removing') }, { status: 404, text: '' }]), 'registry')).toBeNull();
    expect(await containerFacts(dockerd([{ status: 200, text: inspect('removing') }, { status: 200, text: inspect('exited') }]), 'registry')).toMatchObject({ id: 'c1', status: 'exited' });
    // one stuck in removal is given back as it is after the wait
    expect(await containerFacts(dockerd(Array.from({ length: 50 }, () => ({ status: 200, text: inspect('removing') }))), 'registry', 120)).toMatchObject({ status: 'removing' });
  });
});
