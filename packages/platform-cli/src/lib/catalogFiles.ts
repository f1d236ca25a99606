import { readFile } from 'node:fs/promises';
import { toError } from '@backstage/errors';
import {
  CatalogFileCheck,
  checkCatalogFile,
} from '@internal/plugin-platform-common';

/**
 * Checks the catalog file at `file` with the platform's shared check, which
 * the catalog module's `catalog:validate-platform-entity` action runs too.
 * A file that cannot be read is one problem without a line.
 */
export async function checkCatalogFileAt(options: {
  file: string;
  lifecycles: ReadonlySet<string>;
}): Promise<CatalogFileCheck> {
  const { file, lifecycles } = options;
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    return {
      entities: 0,
      problems: [
        { message: `Cannot read the file: ${toError(error).message}` },
      ],
    };
  }
  return checkCatalogFile({ source, lifecycles });
}
