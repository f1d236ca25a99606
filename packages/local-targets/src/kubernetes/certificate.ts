import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface LoopbackCertificate {
  /** PEM, for the server. */
  cert: string;
  key: string;
  /** Base64 of the PEM, as `caData` in a kubeconfig or app-config cluster. */
  caData: string;
}

let cached: LoopbackCertificate | undefined;

/**
 * A self-signed certificate for 127.0.0.1. kubectl refuses to send a bearer
 * token over plain HTTP, so the loopback server speaks TLS like a real API
 * server. Generated once per process: RSA key generation is the slow part.
 */
export function loopbackCertificate(): LoopbackCertificate {
  if (cached) {
    return cached;
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: 'loopback-kube-apiserver' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    {
      name: 'keyUsage',
      keyCertSign: true,
      digitalSignature: true,
      keyEncipherment: true,
    },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  cached = {
    cert: certPem,
    key: privateKey,
    caData: Buffer.from(certPem).toString('base64'),
  };
  return cached;
}
