import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { QuotaRequest } from './config';

/**
 * The zod instance the scaffolder hands to per-key input schemas, named
 * without a dependency on zod of our own.
 *
 * @public
 */
export type Zod = Parameters<
  Extract<
    NonNullable<
      NonNullable<Parameters<typeof createTemplateAction>[0]['schema']>['input']
    >,
    (zImpl: any) => unknown
  >
>[0];

/** The description of every action's `cluster` input. */
export const CLUSTER_DESCRIPTION =
  'Name of the cluster, as configured under kubernetes.clusterLocatorMethods in app-config; defaults to platform.kubernetes.defaultCluster or the first configured cluster';

export const clusterInput = (z: Zod) =>
  z.string({ description: CLUSTER_DESCRIPTION }).optional();

/** @public */
export const rollbackInput = (z: Zod) =>
  z
    .boolean({
      description:
        'Set to false to keep what this step created or changed when the run fails, for debugging. Default true',
    })
    .optional();

/** A ResourceQuota request: the resources a template may size. */
export const quotaInput = (z: Zod, description: string) =>
  z.object(
    {
      cpu: z
        .string({ description: 'CPU cores, such as 4 or 2500m' })
        .optional(),
      memory: z.string({ description: 'Memory, such as 8Gi' }).optional(),
      pods: z
        .union([z.string(), z.number()], { description: 'Number of pods' })
        .optional(),
    },
    { description },
  );

/**
 * Quantities as strings; YAML templates write pods as a number.
 *
 * @public
 */
export function toQuotaRequest(quota: {
  cpu?: string;
  memory?: string;
  pods?: string | number;
}): QuotaRequest {
  return {
    cpu: quota.cpu,
    memory: quota.memory,
    pods: quota.pods === undefined ? undefined : String(quota.pods),
  };
}
