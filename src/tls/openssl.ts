import path from 'node:path';
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
  const csr = `${CA_DIR}/.ca.${process.pid}.csr`;
  try {
    await processes.run([
      'openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-keyout', files.real(CA_KEY), '-out', files.real(csr), '-subj', `/CN=${commonName.replace(/[/=]/g, ' ')}`,
    ]);
    await files.chmod(CA_KEY, 0o600);
    await signWithCa(ports, { csr, out: CA_CERT, days: 3650, extensions: 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n', selfsign: true });
  } finally {
    await files.remove(csr);
  }
}

/** How far back a certificate's validity starts, as Let's Encrypt does: a client whose clock is behind still accepts it. */
const BACKDATE_MS = 60 * 60 * 1000;

/** openssl ca's date form (GeneralizedTime): YYYYMMDDHHMMSSZ. */
function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * Signs a request with the tool's CA (or with its own key: the CA itself), valid from an hour ago.
 * `openssl x509 -req` can only start a certificate now (OpenSSL before 3.4), so this is `openssl ca`,
 * with a database of its own made for the one signature, in a directory removed afterwards.
 */
async function signWithCa(ports: Ports, o: { csr: string; out: string; days: number; extensions: string; selfsign?: boolean }): Promise<void> {
  const { files, processes } = ports;
  const dir = `${path.dirname(o.out)}/.openssl-ca.${process.pid}`;
  await files.ensureDir(dir, 0o700);
  try {
    const at = (p: string) => files.real(`${dir}/${p}`);
    await files.writeAtomic(`${dir}/index.txt`, '');
    await files.writeAtomic(`${dir}/extensions`, o.extensions);
    await files.writeAtomic(`${dir}/ca.cnf`, `[ca]\ndefault_ca = signing\n[signing]\ndatabase = ${at('index.txt')}\nnew_certs_dir = ${files.real(dir)}\nrand_serial = yes\ndefault_md = sha256\npolicy = any\nunique_subject = no\nemail_in_dn = no\n[any]\ncommonName = supplied\n`);
    const now = Date.now();
    await processes.run([
      'openssl', 'ca', '-batch', '-notext', '-config', at('ca.cnf'), '-in', files.real(o.csr), '-out', files.real(o.out),
      ...(o.selfsign ? ['-selfsign'] : ['-cert', files.real(CA_CERT)]), '-keyfile', files.real(CA_KEY),
      '-startdate', asn1Time(new Date(now - BACKDATE_MS)), '-enddate', asn1Time(new Date(now + o.days * 86_400_000)), '-extfile', at('extensions'),
    ]);
  } finally {
    await files.removeTree(dir);
  }
}

export async function issueServerCert(ports: Ports, sans: string[]): Promise<void> {
  const { files, processes } = ports;
  await files.ensureDir(TLS_DIR, 0o755);
  const csr = `${TLS_DIR}/.server.${process.pid}.csr`;
  const key = `${SERVER_KEY}.${process.pid}.new`;
  const cert = `${SERVER_CERT}.${process.pid}.new`;
  try {
    await processes.run(['openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', files.real(key), '-out', files.real(csr), '-subj', `/CN=${sans[0]}`]);
    await files.chmod(key, 0o600);
    const altNames = sans.map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
    await signWithCa(ports, { csr, out: cert, days: 825, extensions: `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n` });
    // The registry serves the chain (certificate, then the CA), so clients can fetch the CA with --ca-from-registry.
    await files.writeAtomic(cert, `${(await files.read(cert))!.trimEnd()}\n${(await files.read(CA_CERT))!.trimEnd()}\n`);
    // Key and certificate replace the old pair only once both exist.
    await files.rename(key, SERVER_KEY);
    await files.rename(cert, SERVER_CERT);
  } finally {
    await files.remove(csr);
    await files.remove(key);
    await files.remove(cert);
  }
}
