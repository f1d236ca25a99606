import { makeFieldSchema } from '@backstage/plugin-scaffolder-react';

/** The value and `ui:options` of the `PlatformServiceName` field. */
export const ServiceNameFieldSchema = makeFieldSchema({
  output: z => z.string(),
  uiOptions: z =>
    z.object({
      githubOwnerField: z
        .string()
        .optional()
        .describe(
          'The form field that holds the GitHub organisation of the repository (ORG/NAME). Without it, GitHub is not checked.',
        ),
      githubHost: z
        .string()
        .optional()
        .describe('The GitHub host of the repository. Default github.com.'),
      clusterField: z
        .string()
        .optional()
        .describe(
          "The form field that holds the namespace's cluster. Without it, the default cluster of the platform's actions is checked.",
        ),
    }),
});

/**
 * The props the scaffolder gives the field: its value, its `ui:options`, and
 * the whole form's values in `formContext.formData`.
 *
 * @public
 */
export type ServiceNameFieldProps = typeof ServiceNameFieldSchema.TProps;

/** @public */
export type ServiceNameFieldUiOptions = NonNullable<
  ServiceNameFieldProps['uiSchema']['ui:options']
>;
