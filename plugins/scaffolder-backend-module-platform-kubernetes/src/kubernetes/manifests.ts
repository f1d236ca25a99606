import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'yaml';
import { describeObject, factsOf } from './journaledCreate';

/**
 * The kinds `platform:kubernetes:apply` deploys, in the order it applies them.
 *
 * @public
 */
export const APPLIED_KINDS = [
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'Service', apiVersion: 'v1' },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' },
] as const;

/** @public */
export type AppliedKind = (typeof APPLIED_KINDS)[number]['kind'];

/** @public */
export interface Manifest {
  apiVersion: string;
  kind: AppliedKind;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  [key: string]: unknown;
}

/** `Deployment web in namespace payments on cluster prod`. */
export function describeManifest(manifest: Manifest, cluster: string): string {
  return describeObject(factsOf(cluster, manifest));
}

/**
 * Every YAML document of a file, or of the .yaml/.yml files of a directory.
 * A symlink is refused wherever it is: it could point outside the workspace,
 * at a file the template's author never meant to deploy.
 *
 * @public
 */
export async function readManifestFiles(
  workspacePath: string,
  manifestPath: string,
): Promise<unknown[]> {
  const refuseSymlink = async (file: string) => {
    const stat = await fs.lstat(file).catch(() => undefined);
    if (stat?.isSymbolicLink()) {
      throw new InputError(
        `Manifest path ${path.relative(
          workspacePath,
          file,
        )} is a symbolic link; manifests must be files in the workspace`,
      );
    }
  };
  // Before resolving, which would follow the link.
  await refuseSymlink(path.resolve(workspacePath, manifestPath));
  const target = resolveSafeChildPath(workspacePath, manifestPath);
  let files: string[];
  try {
    const stat = await fs.stat(target);
    files = stat.isDirectory()
      ? (await fs.readdir(target))
          .filter(f => /\.ya?ml$/.test(f))
          .sort()
          .map(f => path.join(target, f))
      : [target];
  } catch {
    throw new InputError(
      `Manifest path ${manifestPath} does not exist in the workspace`,
    );
  }
  const documents: unknown[] = [];
  for (const file of files) {
    await refuseSymlink(file);
    const text = await fs.readFile(file, 'utf8');
    for (const doc of yaml.parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        throw new InputError(
          `${path.relative(workspacePath, file)} is not valid YAML: ${
            doc.errors[0].message
          }`,
        );
      }
      const value = doc.toJS();
      if (value !== null && value !== undefined) {
        documents.push(value);
      }
    }
  }
  return documents;
}

/** What the API server accepts as the name of each kind we deploy. */
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isValidName(kind: AppliedKind, name: string): boolean {
  return kind === 'Service'
    ? name.length <= 63 && DNS1123_LABEL.test(name)
    : name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/**
 * Checks what a template generated before anything is sent: only the kinds
 * we deploy, each in the target namespace, a Deployment and a Service at
 * least, and an Ingress exactly when the service is public.
 *
 * @public
 */
export function checkManifests(options: {
  documents: unknown[];
  namespace: string;
  public?: boolean;
}): Manifest[] {
  const manifests = options.documents.map((doc, index) => {
    const m = doc as Partial<Manifest>;
    const known = APPLIED_KINDS.find(k => k.kind === m?.kind);
    const name = m?.metadata?.name;
    const label = `Manifest ${index + 1} (${m?.kind ?? 'no kind'} ${
      name ?? 'no name'
    })`;
    if (!known) {
      throw new InputError(
        `${label} is not a Deployment, Service or Ingress, the kinds platform:kubernetes:apply deploys`,
      );
    }
    if (m.apiVersion !== known.apiVersion) {
      throw new InputError(
        `${label} has apiVersion ${m.apiVersion}; use ${known.apiVersion}`,
      );
    }
    if (typeof name !== 'string' || name.length === 0) {
      throw new InputError(`${label} has no metadata.name`);
    }
    if (!isValidName(known.kind, name)) {
      throw new InputError(
        `${label} has metadata.name "${name}", which Kubernetes does not accept for a ${
          known.kind
        }: use lower case letters, digits and '-'${
          known.kind === 'Service' ? ', at most 63' : " and '.', at most 253"
        }`,
      );
    }
    if (m.metadata?.namespace && m.metadata.namespace !== options.namespace) {
      throw new InputError(
        `${label} names namespace ${m.metadata.namespace}, not ${options.namespace}`,
      );
    }
    return {
      ...m,
      metadata: { ...m.metadata, namespace: options.namespace },
    } as Manifest;
  });
  const hasIngress = manifests.some(m => m.kind === 'Ingress');
  for (const kind of ['Deployment', 'Service']) {
    if (!manifests.some(m => m.kind === kind)) {
      throw new InputError(`The manifests contain no ${kind}`);
    }
  }
  if (options.public === false && hasIngress) {
    throw new InputError(
      'The manifests contain an Ingress but public is false; a private service gets no Ingress',
    );
  }
  if (options.public === true && !hasIngress) {
    throw new InputError(
      'public is true but the manifests contain no Ingress to expose the service',
    );
  }
  const order = (m: Manifest) =>
    APPLIED_KINDS.findIndex(k => k.kind === m.kind);
  return [...manifests].sort((a, b) => order(a) - order(b));
}

/**
 * Where the service answers: the Ingress host for a public service, else
 * the Service's in-cluster DNS name.
 */
export function serviceUrl(manifests: Manifest[], namespace: string): string {
  const ingress = manifests.find(m => m.kind === 'Ingress');
  const rule = ingress?.spec?.rules?.find((r: { host?: string }) => r.host);
  if (ingress && rule) {
    const tls = (ingress.spec?.tls ?? []).some((t: { hosts?: string[] }) =>
      t.hosts?.includes(rule.host),
    );
    const pathPart = rule.http?.paths?.[0]?.path ?? '/';
    return `${tls ? 'https' : 'http'}://${rule.host}${pathPart}`;
  }
  const service = manifests.find(m => m.kind === 'Service')!;
  const port = service.spec?.ports?.[0]?.port ?? 80;
  return `http://${service.metadata.name}.${namespace}.svc.cluster.local${
    port === 80 ? '' : `:${port}`
  }`;
}
