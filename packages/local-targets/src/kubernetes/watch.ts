import { Request, Response } from 'express';
import { Change, Cluster } from './cluster';
import { DERIVED_RESOURCES } from './deployments';
import { fieldSelectorOf, render } from './objects';
import { KubeObject, matchesLabelSelector, ResourceType } from './resources';
import { failure, KubeStatus } from './status';

/** One line of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  object: KubeObject | KubeStatus;
}

interface RecordedChange {
  resourceVersion: number;
  type: Change['type'];
  resourceType: ResourceType;
  object: KubeObject;
}

/** An open watch: what it selects and how to end it. */
interface OpenWatch {
  selects(change: RecordedChange): boolean;
  send(event: WatchEvent): void;
  end(): void;
  /** Ends the watch once its `timeoutSeconds` have passed. */
  timer?: NodeJS.Timeout;
}

/**
 * The API server's watch cache in miniature: every change to a stored
 * object, in resource version order, from which watches are served. Older
 * history is dropped as etcd compacts its own, so a watch from before it
 * gets `410 Expired` and has to list again.
 */
export class WatchCache {
  private history: RecordedChange[] = [];
  /** History up to and including this resource version is gone. */
  private compactedThrough = 0;
  private readonly watches = new Set<OpenWatch>();

  constructor(
    private readonly cluster: Cluster,
    private readonly capacity: number,
  ) {
    cluster.onChange(change => this.record(change));
  }

  /** How many watches are open. */
  get open(): number {
    return this.watches.size;
  }

  /** Forgets the history up to now, as etcd's periodic compaction does. */
  compact(): void {
    this.history = [];
    this.compactedThrough = Number(this.cluster.resourceVersion);
  }

  /** Ends every open watch, as an API server does when it restarts. */
  endAll(): void {
    for (const watch of this.watches) {
      watch.end();
    }
  }

  /**
   * Answers `GET …?watch=true`: a chunked `application/json` stream of
   * `{"type","object"}` lines. Without a `resourceVersion` (or with `0`) it
   * starts with an ADDED event for each object that exists; with one, it
   * replays the changes made since. `allowWatchBookmarks` is accepted and
   * ignored, as bookmarks are only ever a hint.
   */
  serve(options: {
    req: Request;
    res: Response;
    type: ResourceType;
    namespace?: string;
    name?: string;
  }): void {
    const { req, res, type, namespace } = options;
    const reply = (status: KubeStatus) => res.status(status.code).json(status);
    if (DERIVED_RESOURCES.includes(type.resource)) {
      reply(
        failure(
          405,
          'MethodNotAllowed',
          `the loopback server derives ${type.resource} from their Deployment on every read and serves no watch of them`,
        ),
      );
      return;
    }
    const selector = [
      req.query.fieldSelector,
      options.name && `metadata.name=${options.name}`,
    ]
      .filter(Boolean)
      .join(',');
    const matchesFields = fieldSelectorOf(type, selector);
    if (typeof matchesFields !== 'function') {
      reply(matchesFields);
      return;
    }
    const from = String(req.query.resourceVersion ?? '0');
    if (!/^\d+$/.test(from)) {
      reply(
        failure(
          400,
          'BadRequest',
          `resourceVersion: Invalid value: "${from}": must be an integer`,
        ),
      );
      return;
    }
    const labelSelector = req.query.labelSelector as string | undefined;
    const selects = (resourceType: ResourceType, object: KubeObject) =>
      resourceType === type &&
      (namespace === undefined || object.metadata.namespace === namespace) &&
      matchesLabelSelector(object.metadata.labels, labelSelector) &&
      matchesFields(object);

    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.flushHeaders();
    const send = (event: WatchEvent) => res.write(`${JSON.stringify(event)}\n`);

    const since = Number(from);
    if (since !== 0 && since < this.compactedThrough) {
      send({
        type: 'ERROR',
        object: failure(
          410,
          'Expired',
          `too old resource version: ${since} (${this.compactedThrough + 1})`,
        ),
      });
      res.end();
      return;
    }
    if (since === 0) {
      for (const stored of this.cluster.storedIn(type, namespace)) {
        if (selects(type, stored.object)) {
          send({ type: 'ADDED', object: render(type, stored) });
        }
      }
    } else {
      for (const change of this.history) {
        if (
          change.resourceVersion > since &&
          selects(change.resourceType, change.object)
        ) {
          send({ type: change.type, object: change.object });
        }
      }
    }

    const watch: OpenWatch = {
      selects: change => selects(change.resourceType, change.object),
      send,
      end: () => {
        this.close(watch);
        res.end();
      },
    };
    this.watches.add(watch);
    const timeoutSeconds = Number(req.query.timeoutSeconds ?? 0);
    if (timeoutSeconds > 0) {
      watch.timer = setTimeout(watch.end, timeoutSeconds * 1000);
    }
    // A client that gives up closes the stream from its side.
    res.on('close', () => this.close(watch));
  }

  private close(watch: OpenWatch): void {
    clearTimeout(watch.timer);
    this.watches.delete(watch);
  }

  private record(change: Change): void {
    const recorded: RecordedChange = {
      resourceVersion: Number(change.stored.object.metadata.resourceVersion),
      type: change.type,
      resourceType: change.resourceType,
      object: render(change.resourceType, change.stored),
    };
    this.history.push(recorded);
    if (this.history.length > this.capacity) {
      this.compactedThrough = this.history.shift()!.resourceVersion;
    }
    for (const watch of this.watches) {
      if (watch.selects(recorded)) {
        watch.send({ type: recorded.type, object: recorded.object });
      }
    }
  }
}
