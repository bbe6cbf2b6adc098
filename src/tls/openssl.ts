import path from 'node:path';
import { crypto } from '../lazy-builtins.js';
import { isIP } from 'node:net';
import type { Ports } from '../ports/index.js';
import { CA_CERT, CA_DIR, CA_KEY, SERVER_CERT, SERVER_KEY, TLS_DIR } from './paths.js';

/**
 * TLS material made by the host's openssl (ca-certificates depends on it, so every Debian and
 * Red Hat host has it): P-256 keys, written with mode 0600, certificates with the extensions
 * Go clients check (CA basic constraints; server SANs and serverAuth).
 */
export async function createCa(ports: Ports, commonName: string): Promise<void> {
  const { files, processes } = ports;
  await files.ensureDir(CA_DIR, 0o700);
  await processes.run([
    'openssl', 'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', files.real(CA_KEY), '-out', files.real(CA_CERT), '-days', '3650', '-subj', `/CN=${commonName.replace(/[/=]/g, ' ')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await files.chmod(CA_KEY, 0o600);
}

export async function issueServerCert(ports: Ports, sans: string[]): Promise<void> {
  const { files, processes } = ports;
  await files.ensureDir(TLS_DIR, 0o755);
  const csr = path.join(files.real(TLS_DIR), `.server.${process.pid}.csr`);
  const ext = path.join(files.real(TLS_DIR), `.server.${process.pid}.ext`);
  const key = `${SERVER_KEY}.${process.pid}.new`;
  const cert = `${SERVER_CERT}.${process.pid}.new`;
  try {
    await processes.run(['openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', files.real(key), '-out', csr, '-subj', `/CN=${sans[0]}`]);
    await files.chmod(key, 0o600);
    const altNames = sans.map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
    await files.writeAtomic(`/${path.relative(files.root, ext)}`, `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
    await processes.run(['openssl', 'x509', '-req', '-in', csr, '-CA', files.real(CA_CERT), '-CAkey', files.real(CA_KEY), '-set_serial', `0x${crypto().randomBytes(16).toString('hex')}`, '-out', files.real(cert), '-days', '825', '-sha256', '-extfile', ext]);
    // The registry serves the chain (certificate, then the CA), so clients can fetch the CA with --ca-from-registry.
    await files.writeAtomic(cert, `${(await files.read(cert))!.trimEnd()}\n${(await files.read(CA_CERT))!.trimEnd()}\n`);
    // Key and certificate replace the old pair only once both exist.
    await files.rename(key, SERVER_KEY);
    await files.rename(cert, SERVER_CERT);
  } finally {
    for (const f of [csr, ext]) await files.remove(`/${path.relative(files.root, f)}`);
    await files.remove(key);
    await files.remove(cert);
  }
}
