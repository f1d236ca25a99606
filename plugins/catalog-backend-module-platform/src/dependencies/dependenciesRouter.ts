import { HttpAuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { CatalogDependencyReader } from './CatalogDependencyReader';

/**
 * `GET /platform/dependencies?entityRef=…` and
 * `GET /platform/dependents?entityRef=…&cursor=…` on the catalog's router
 * (`/api/catalog/platform/...`): an entity's dependency summary and the
 * further pages of its dependents, as the caller may read them.
 */
export function createDependenciesRouter(options: {
  reader: CatalogDependencyReader;
  httpAuth: HttpAuthService;
}): express.Router {
  const { reader, httpAuth } = options;
  const router = Router();
  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  router.get('/platform/dependencies', async (req, res) => {
    res.json(
      await reader.summarize(entityRefOf(req), await credentialsOf(req)),
    );
  });

  router.get('/platform/dependents', async (req, res) => {
    const cursor = req.query.cursor;
    if (cursor !== undefined && typeof cursor !== 'string') {
      throw new InputError('Give cursor once, as text');
    }
    res.json(
      await reader.dependents(
        entityRefOf(req),
        await credentialsOf(req),
        cursor || undefined,
      ),
    );
  });

  return router;
}

function entityRefOf(req: express.Request): string {
  const value = req.query.entityRef;
  if (typeof value !== 'string' || !value) {
    throw new InputError(
      'Give entityRef once, as a full ref such as component:default/payments',
    );
  }
  try {
    return stringifyEntityRef(parseEntityRef(value));
  } catch {
    throw new InputError(
      `entityRef "${value}" is not a full ref such as component:default/payments`,
    );
  }
}
