import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { PlatformPreflight } from '../preflight/PlatformPreflight';

/**
 * `GET /platform/service-names/:name?githubOwner=ORG&cluster=NAME` on the
 * scaffolder's router: whether a new service's name is valid and free in
 * the catalog, on GitHub and on the cluster, as the user asking sees them.
 * The Create page's name field asks it while the user types. It only reads.
 */
export function createNamesRouter(options: {
  httpAuth: HttpAuthService;
  preflight: PlatformPreflight;
}): express.Router {
  const router = Router();
  router.get('/platform/service-names/:name', async (req, res) => {
    const credentials = await options.httpAuth.credentials(req, {
      allow: ['user'],
    });
    const query = (key: string) => {
      const value = req.query[key];
      if (value !== undefined && typeof value !== 'string') {
        throw new InputError(`${key} must be given once`);
      }
      return value;
    };
    res.json(
      await options.preflight.checkServiceName({
        credentials,
        name: req.params.name,
        githubOwner: query('githubOwner'),
        githubHost: query('githubHost'),
        cluster: query('cluster'),
      }),
    );
  });
  return router;
}
