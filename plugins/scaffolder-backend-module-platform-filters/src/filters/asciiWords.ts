import { InputError } from '@backstage/errors';

/**
 * Splits free text into lowercase ASCII words. Accents are folded first
 * ("Zürich" becomes "zurich") so a name keeps its readable form instead of
 * losing whole letters; everything else that is not a letter or digit
 * separates words.
 *
 * Both naming filters share this so that `k8s_name` and `env_var` of the same
 * input always agree on where the words are.
 */
export function asciiWords(filterId: string, value: unknown): string[] {
  if (typeof value !== 'string') {
    throw new InputError(
      `${filterId} expects a string, but was given ${
        JSON.stringify(value) ?? String(value)
      }.`,
    );
  }
  const words = value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(word => word.length > 0);
  if (words.length === 0) {
    throw new InputError(
      `${filterId} cannot make a name from ${JSON.stringify(
        value,
      )}, because it contains no letter or digit.`,
    );
  }
  return words;
}
