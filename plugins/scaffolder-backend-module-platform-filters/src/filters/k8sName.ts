import { createHash } from 'node:crypto';
import { createTemplateFilter } from '@backstage/plugin-scaffolder-node/alpha';
import { asciiWords } from './asciiWords';
import { examples } from './k8sName.examples';

/** The longest name Kubernetes accepts for a DNS-1123 label. */
const MAX_LENGTH = 63;
/** Hex digits of the input's hash kept when a name has to be shortened. */
const HASH_LENGTH = 8;

/**
 * Turns any text into a name Kubernetes accepts for namespaces, Services and
 * Deployments alike.
 *
 * The result is a DNS-1035 label (lowercase letters, digits and dashes,
 * starting with a letter, ending with a letter or digit, at most 63
 * characters), which is also a valid DNS-1123 label: Service names need the
 * stricter form, so one filter serves every object of a service.
 *
 * Shortened names end with a hash of the whole input, so two long names that
 * share their first 54 characters still get different, stable results.
 */
export function toK8sName(value: unknown): string {
  let name = asciiWords('k8s_name', value).join('-');
  if (/^[0-9]/.test(name)) {
    name = `x-${name}`;
  }
  if (name.length <= MAX_LENGTH) {
    return name;
  }
  const hash = createHash('sha256')
    .update(String(value))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const head = name.slice(0, MAX_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/**
 * The `k8s_name` template filter.
 *
 * @public
 */
export const k8sNameFilter = createTemplateFilter({
  id: 'k8s_name',
  description:
    'Turns text into a valid Kubernetes object name (a DNS-1123 label that also satisfies DNS-1035: lowercase, at most 63 characters, starts with a letter, no leading or trailing dash). Deterministic; long names are shortened with a hash suffix.',
  schema: z =>
    z
      .function()
      .args(z.string().describe('Any text, for example a service name'))
      .returns(z.string().describe('A valid DNS-1123 label')),
  examples,
  filter: toK8sName,
});
