import { createMockDirectory } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { exampleManifests } from '../actions/kubernetesApply.examples';
import { checkManifests, readManifestFiles } from './manifests';

describe('readManifestFiles', () => {
  const workspace = createMockDirectory();
  const outside = createMockDirectory();

  beforeEach(() => {
    workspace.clear();
    outside.setContent({ 'secret.yaml': 'kind: Secret\n' });
  });

  it('reads every document of the YAML files of a folder, in name order', async () => {
    workspace.setContent({
      'kubernetes/b.yaml': 'kind: Service\n',
      'kubernetes/a.yml': 'kind: Deployment\n---\nkind: Ingress\n',
      'kubernetes/notes.txt': 'not a manifest',
    });
    await expect(
      readManifestFiles(workspace.path, './kubernetes'),
    ).resolves.toEqual([
      { kind: 'Deployment' },
      { kind: 'Ingress' },
      { kind: 'Service' },
    ]);
  });

  it.each([
    ['a file in the folder', 'kubernetes/leak.yaml', './kubernetes'],
    ['the folder itself', 'kubernetes', './kubernetes'],
    ['the file named', 'manifest.yaml', './manifest.yaml'],
  ])(
    'refuses a symbolic link as %s, which could point outside the workspace',
    async (_, link, manifestPath) => {
      workspace.setContent({ 'kubernetes/service.yaml': 'kind: Service\n' });
      const linkPath = path.join(workspace.path, link);
      fs.rmSync(linkPath, { recursive: true, force: true });
      fs.symlinkSync(
        link === 'kubernetes' ? outside.path : outside.resolve('secret.yaml'),
        linkPath,
      );
      await expect(
        readManifestFiles(workspace.path, manifestPath),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('is a symbolic link'),
      });
    },
  );
});

describe('checkManifests', () => {
  const named = (manifest: { metadata: object }, name: string) => ({
    ...manifest,
    metadata: { ...manifest.metadata, name },
  });

  it.each([
    ['Service', 'Payments'],
    ['Service', 'payments.v1'],
    ['Deployment', '../payments'],
    ['Deployment', 'a'.repeat(254)],
  ])('refuses a %s named %s', (kind, name) => {
    const documents = [
      exampleManifests.deployment,
      exampleManifests.service,
    ].map(m => (m.kind === kind ? named(m, name) : m));
    expect(() => checkManifests({ documents, namespace: 'payments' })).toThrow(
      `which Kubernetes does not accept for a ${kind}`,
    );
  });

  it('accepts a dotted Deployment name', () => {
    expect(
      checkManifests({
        documents: [
          named(exampleManifests.deployment, 'payments.v1'),
          exampleManifests.service,
        ],
        namespace: 'payments',
      }).map(m => m.metadata.name),
    ).toEqual(['payments.v1', 'payments']);
  });
});
