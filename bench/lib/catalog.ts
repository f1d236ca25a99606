/*
 * The generated catalog the benchmarks that run a real catalog backend feed
 * it, and the file location they feed it through.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogModulePlatform from '@internal/plugin-catalog-backend-module-platform';
import { Knex } from 'knex';
import {
  ANNOTATION_DOCS_URL,
  ANNOTATION_ON_CALL_URL,
  ANNOTATION_REPOSITORY_URL,
  DEPENDENCY_TYPES,
} from '@internal/plugin-platform-common';

/**
 * `count` Components (70% services, 20% libraries, 10% websites), each with
 * a title, a description, the ownership annotations and one typed
 * dependency of each type in `spec.dependencies` (a third of them critical).
 */
export function generateComponents(count: number): Entity[] {
  const name = (i: number) => `svc-${String(i).padStart(5, '0')}`;
  const lifecycles = [
    'production',
    'production',
    'development',
    'experimental',
  ];
  return Array.from({ length: count }, (_, i) => {
    let type = 'service';
    if (i % 10 === 7 || i % 10 === 8) type = 'library';
    else if (i % 10 === 9) type = 'website';
    const annotations: Record<string, string> = {
      [ANNOTATION_DOCS_URL]: `https://docs.example.com/${name(i)}`,
      [ANNOTATION_REPOSITORY_URL]: `https://git.example.com/org/${name(i)}`,
    };
    // One in eight has no rotation, so the warnings column has work to do.
    if (i % 8 !== 0) {
      annotations[ANNOTATION_ON_CALL_URL] = `https://oncall.example.com/${name(
        i,
      )}`;
    }
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: name(i),
        title: `Service ${i}`,
        description: `Generated ${type} ${i}, owned by team ${i % 50}.`,
        annotations,
      },
      spec: {
        type,
        lifecycle: lifecycles[i % lifecycles.length],
        owner: `group:default/team-${i % 50}`,
        dependencies: DEPENDENCY_TYPES.map((dependencyType, d) => ({
          target: `component:default/${name((i + 1 + d * 97) % count)}`,
          type: dependencyType,
          critical: (i + d) % 3 === 0,
        })),
      },
    };
  });
}

/**
 * The entities in one catalog-info file in a directory of its own, for a
 * `file` location in the catalog's config.
 */
export function writeCatalogFile(
  entities: Entity[],
  prefix: string,
): { file: string; remove(): void } {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  const file = path.join(directory, 'catalog-info.yaml');
  // JSON is YAML, and far quicker to write for 10,000 documents.
  writeFileSync(
    file,
    entities.map(entity => JSON.stringify(entity)).join('\n---\n'),
  );
  return {
    file,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/**
 * A catalog backend with the platform's catalog module on `knex`, reading
 * Components from the `file` location.
 */
export function startCatalogBackend(options: { knex: Knex; file: string }) {
  return startTestBackend({
    features: [
      catalogBackend,
      catalogModulePlatform,
      mockServices.database.factory({ knex: options.knex }),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: [{ allow: ['Component', 'Location'] }],
            locations: [{ type: 'file', target: options.file }],
          },
        },
      }),
    ],
  });
}
