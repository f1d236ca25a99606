import { createTemplateFilter } from '@backstage/plugin-scaffolder-node/alpha';
import { asciiWords } from './asciiWords';
import { examples } from './envVar.examples';

/**
 * Turns any text into a POSIX environment variable name: uppercase letters,
 * digits and underscores, never starting with a digit (shells reject those).
 */
export function toEnvVar(value: unknown): string {
  const name = asciiWords('env_var', value).join('_').toUpperCase();
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * The `env_var` template filter.
 *
 * @public
 */
export const envVarFilter = createTemplateFilter({
  id: 'env_var',
  description:
    'Turns text into a POSIX environment variable name: uppercase words joined by underscores, never starting with a digit (for example payments-api becomes PAYMENTS_API).',
  schema: z =>
    z
      .function()
      .args(z.string().describe('Any text, for example a service name'))
      .returns(z.string().describe('A valid environment variable name')),
  examples,
  filter: toEnvVar,
});
