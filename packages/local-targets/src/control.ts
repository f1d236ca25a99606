import express, { NextFunction, Request, Response, Router } from 'express';
import {
  ArmedFault,
  FAULT_STEPS,
  FaultTarget,
  InvalidFaultError,
  targetOfStep,
} from './faults';
import { LocalGithubApiServer } from './github';
import { LocalKubernetesApiServer } from './kubernetes/server';

type Targets = {
  github: LocalGithubApiServer;
  kubernetes: LocalKubernetesApiServer;
};

const TARGETS: FaultTarget[] = ['github', 'kubernetes'];

function listed(target: FaultTarget, fault: ArmedFault<object>) {
  return { target, ...fault };
}

/**
 * The fault endpoints of the control API, for a browser test or someone
 * trying the platform who wants to watch a run slow down, fail or roll
 * back. README.md documents every route and field.
 */
export function controlRouter(targets: Targets): Router {
  const router = express.Router();
  router.use(express.json());

  /** The targets a path names: one, or both when it names none. */
  const targetsOf = (req: Request, res: Response): FaultTarget[] => {
    const target = req.params.target as FaultTarget | undefined;
    if (target === undefined) {
      return TARGETS;
    }
    if (!TARGETS.includes(target)) {
      res.status(404).json({
        message: `No target ${target}; targets are ${TARGETS.join(', ')}`,
      });
      return [];
    }
    return [target];
  };

  /** Where a fault is armed: on the path's target, or else on its step's. */
  const armingTarget = (
    req: Request,
    res: Response,
  ): FaultTarget | undefined => {
    if (req.params.target !== undefined) {
      return targetsOf(req, res)[0];
    }
    const target = targetOfStep(req.body?.step);
    if (!target) {
      res.status(400).json({
        message: `Give a step (${Object.keys(FAULT_STEPS).join(
          ', ',
        )}), or arm the fault on /github/faults or /kubernetes/faults`,
      });
    }
    return target;
  };

  const arm = (req: Request, res: Response, count: unknown) => {
    const target = armingTarget(req, res);
    if (!target) {
      return undefined;
    }
    const { count: _count, ...options } = req.body ?? {};
    try {
      return listed(target, targets[target].armFault(count as number, options));
    } catch (error) {
      if (!(error instanceof InvalidFaultError)) {
        throw error;
      }
      res.status(400).json({ message: error.message });
      return undefined;
    }
  };

  // The first shape of the API, which scripts and tests still use: count
  // is required and nothing comes back.
  router.post('/:target/fail-next', (req, res) => {
    if (arm(req, res, req.body?.count)) {
      res.status(204).end();
    }
  });

  for (const path of ['/faults', '/:target/faults']) {
    router.post(path, (req, res) => {
      const fault = arm(req, res, req.body?.count ?? 1);
      if (fault) {
        res.status(201).json(fault);
      }
    });

    router.get(path, (req, res) => {
      const chosen = targetsOf(req, res);
      if (chosen.length > 0) {
        res.json({
          faults: chosen.flatMap(target =>
            targets[target].listFaults().map(f => listed(target, f)),
          ),
        });
      }
    });

    router.delete(path, (req, res) => {
      const chosen = targetsOf(req, res);
      if (chosen.length > 0) {
        for (const target of chosen) {
          targets[target].clearFaults();
        }
        res.status(204).end();
      }
    });

    router.delete(`${path}/:id`, (req, res) => {
      const chosen = targetsOf(req, res);
      if (chosen.length === 0) {
        return;
      }
      const { id } = req.params;
      if (chosen.some(target => targets[target].clearFaults(id))) {
        res.status(204).end();
      } else {
        res.status(404).json({ message: `No armed fault ${id}` });
      }
    });
  }

  router.use(
    (error: Error, _req: Request, res: Response, next: NextFunction) => {
      if ((error as { type?: string }).type !== 'entity.parse.failed') {
        next(error);
        return;
      }
      res
        .status(400)
        .json({ message: `The body is not JSON: ${error.message}` });
    },
  );

  return router;
}
