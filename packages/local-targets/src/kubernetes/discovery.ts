import express, { Router } from 'express';
import { DERIVED_RESOURCES } from './deployments';
import { RESOURCE_TYPES } from './resources';

function resourceList(group: string, version: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: RESOURCE_TYPES.filter(
      t => t.group === group && t.version === version,
    ).map(t => ({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: [
        ...(t.readOnly ? [] : ['create', 'delete']),
        'get',
        'list',
        ...(t.readOnly ? [] : ['patch', 'update']),
        ...(DERIVED_RESOURCES.includes(t.resource) ? [] : ['watch']),
      ],
      shortNames: t.shortNames,
    })),
  };
}

/** Version and API discovery, as kubectl and client libraries read them first. */
export function discoveryRouter(): Router {
  const router = express.Router();
  router.get('/version', (_req, res) => {
    res.json({
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-loopback',
      platform: 'linux/amd64',
    });
  });
  router.get('/api', (req, res) => {
    res.json({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' },
      ],
    });
  });
  router.get('/apis', (_req, res) => {
    const groups = [
      ...new Set(RESOURCE_TYPES.map(t => t.group).filter(Boolean)),
    ];
    res.json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(group => {
        const version = RESOURCE_TYPES.find(t => t.group === group)!.version;
        const gv = { groupVersion: `${group}/${version}`, version };
        return { name: group, versions: [gv], preferredVersion: gv };
      }),
    });
  });
  router.get('/api/v1', (_req, res) => {
    res.json(resourceList('', 'v1'));
  });
  router.get('/apis/:group/:version', (req, res, next) => {
    const list = resourceList(req.params.group, req.params.version);
    if (list.resources.length === 0) {
      next();
      return;
    }
    res.json(list);
  });
  return router;
}
