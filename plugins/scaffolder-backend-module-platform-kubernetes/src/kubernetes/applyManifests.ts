import { ConflictError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import { RollbackJournal } from '@internal/plugin-platform-node';
import { KubernetesClient } from './client';
import { explained } from './errors';
import { factsOf, isCreatedByTask, journaledCreate } from './journaledCreate';
import { describeManifest, Manifest } from './manifests';
import {
  ANNOTATION_CREATED_BY_TASK,
  ANNOTATION_RUN_NONCE,
  creationAnnotationsOf,
  LABEL_KUBERNETES_ID,
  LABEL_MANAGED_BY,
  LABEL_OWNER,
  LABEL_SERVICE,
  MANAGED_BY_PLATFORM,
} from './ownership';

/**
 * The manifests with the platform's metadata (see `withPlatformMetadata`),
 * each stamped as new or with the creation marks of the object it updates.
 */
export async function labelManifests(options: {
  client: KubernetesClient;
  manifests: Manifest[];
  namespace: KubernetesObject;
  taskId: string;
}): Promise<Manifest[]> {
  const { client, namespace, taskId } = options;
  return Promise.all(
    options.manifests.map(async manifest =>
      withPlatformMetadata({
        manifest,
        namespace,
        existing: await explained(
          () => client.read(manifest),
          `read ${describeManifest(manifest, client.cluster)}`,
        ),
        taskId,
      }),
    ),
  );
}

/**
 * The API server validates every object (schema, names, quota) in a dry
 * run first, so a bad manifest fails before the first write.
 */
export async function dryRunApply(options: {
  client: KubernetesClient;
  manifests: Manifest[];
}): Promise<void> {
  const { client } = options;
  for (const manifest of options.manifests) {
    await explained(
      () => client.apply(manifest, { dryRun: true }),
      `apply ${describeManifest(manifest, client.cluster)}`,
    );
  }
}

/**
 * Creates one object, journaled, or updates it in place when it exists and
 * this run's journal does not prove the run created it: such an object is
 * never deleted by rollback and keeps its creator's marks.
 */
export async function applyManifest(options: {
  client: KubernetesClient;
  journal: RollbackJournal;
  manifest: Manifest;
  taskId: string;
  stepId: string;
  keep: boolean;
  log: (message: string) => void;
}): Promise<void> {
  const { client, journal, manifest, taskId } = options;
  const what = describeManifest(manifest, client.cluster);
  const existing = await explained(() => client.read(manifest), `read ${what}`);
  const ours =
    existing !== undefined &&
    (await isCreatedByTask({
      journal,
      taskId,
      facts: factsOf(client.cluster, manifest),
      object: existing,
    }));
  if (existing && !ours) {
    await explained(
      () =>
        client.apply(withCreationAnnotations(manifest, existing), {
          dryRun: false,
        }),
      `apply ${what}`,
    );
    options.log(
      `${what} existed before this run; it was updated and a rollback leaves it in place`,
    );
    return;
  }
  await journaledCreate({
    journal,
    client,
    taskId,
    stepId: options.stepId,
    object: manifest,
    // A create, not an apply, when the read found nothing: an apply would
    // take over an object someone made since the read, and rollback would
    // then delete it as this run's.
    write: stamped =>
      existing
        ? client.apply(stamped, { dryRun: false })
        : client.create(stamped, { dryRun: false }),
    onForeign: () => {
      throw new ConflictError(
        `${what} was created by someone else while this run was deploying; it was left as it is`,
      );
    },
    keep: options.keep,
  });
}

/** Keys under this prefix are the platform's own; a manifest never sets them. */
const PLATFORM_KEY_PREFIX = 'platform.internal/';

function withoutPlatformKeys(
  values: Record<string, string> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).filter(
      ([key]) => !key.startsWith(PLATFORM_KEY_PREFIX),
    ),
  );
}

/**
 * The platform's labels on the object and its pods (the stock Kubernetes
 * tab finds both by `backstage.io/kubernetes-id`), winning over whatever the
 * manifest says, so a manifest cannot claim another team's service or
 * disown its own. An object this run creates names the task that created
 * it; an existing object keeps the marks of whoever created it.
 */
function withPlatformMetadata(options: {
  manifest: Manifest;
  namespace: KubernetesObject;
  existing: KubernetesObject | undefined;
  taskId: string;
}): Manifest {
  const { manifest, existing } = options;
  const nsLabels = options.namespace.metadata?.labels ?? {};
  const service = nsLabels[LABEL_SERVICE];
  const platformLabels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY_PLATFORM,
    ...(nsLabels[LABEL_OWNER] ? { [LABEL_OWNER]: nsLabels[LABEL_OWNER] } : {}),
    ...(service
      ? { [LABEL_SERVICE]: service, [LABEL_KUBERNETES_ID]: service }
      : {}),
  };
  const result: Manifest = {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: {
        ...withoutPlatformKeys(manifest.metadata.labels),
        ...platformLabels,
      },
      annotations: {
        ...withoutPlatformKeys(manifest.metadata.annotations),
        ...(existing
          ? creationAnnotationsOf(existing)
          : { [ANNOTATION_CREATED_BY_TASK]: options.taskId }),
      },
    },
  };
  if (manifest.kind === 'Deployment' && service && manifest.spec?.template) {
    const template = manifest.spec.template;
    result.spec = {
      ...manifest.spec,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: {
            ...template.metadata?.labels,
            [LABEL_KUBERNETES_ID]: service,
          },
        },
      },
    };
  }
  return result;
}

/** The manifest with `existing`'s creation marks in place of its own. */
function withCreationAnnotations(
  manifest: Manifest,
  existing: KubernetesObject,
): Manifest {
  const annotations = { ...manifest.metadata.annotations };
  delete annotations[ANNOTATION_CREATED_BY_TASK];
  delete annotations[ANNOTATION_RUN_NONCE];
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { ...annotations, ...creationAnnotationsOf(existing) },
    },
  };
}
