import { parseEntityRef } from '@backstage/catalog-model';
import { LunrSearchEngine } from '@backstage/plugin-search-backend-node';
import {
  IndexableDocument,
  IndexableResultSet,
  SearchQuery,
} from '@backstage/plugin-search-common';

const DEFAULT_PAGE_SIZE = 25;

// The stock engine's cursor: the page number, in base64.
function decodePage(pageCursor: string | undefined): number {
  return pageCursor
    ? Number(Buffer.from(pageCursor, 'base64').toString('utf-8'))
    : 0;
}

function encodePage(page: number): string {
  return Buffer.from(String(page), 'utf-8').toString('base64');
}

function isOwnedBy(document: IndexableDocument, team: string): boolean {
  const owner = (document as { owner?: unknown }).owner;
  if (typeof owner !== 'string' || owner === '') {
    return false;
  }
  try {
    return (
      parseEntityRef(owner, { defaultKind: 'group' }).name.toLowerCase() ===
      team
    );
  } catch {
    return false;
  }
}

/**
 * The stock Lunr search engine (what the search backend uses when no engine
 * module registers another), with two changes:
 *
 * - A query for document types none of which has an index yet answers with
 *   no results. The stock engine fails it, so the search page's Documentation
 *   filter is an HTTP 500 until some service's TechDocs have been built and
 *   collated.
 * - When the term is the name of an owner, what it owns comes first, each
 *   part in the stock order. Lunr splits `team-payments` into "team" and
 *   "payments" and weighs every field alike, so without this a service of
 *   another team named payments-gateway outranks team-payments' own.
 *
 * Lunr scores every match of a query whatever the page; ordering them all
 * before cutting the page adds the highlighting of every match, which the
 * stock engine does for one page only. Measured on 10,000 catalog entities
 * on a busy 2-core machine: `team-7`, which matches them all, 0.9 to 1.2 s
 * against the stock engine's 0.85 s; `shop` 0.23 s against 0.15 s.
 *
 * @public
 */
export class PlatformLunrSearchEngine extends LunrSearchEngine {
  async query(query: SearchQuery): Promise<IndexableResultSet> {
    const types = query.types ?? [];
    if (types.length > 0 && !types.some(type => type in this.lunrIndices)) {
      return { results: [], numberOfResults: 0 };
    }
    const team = query.term.trim().toLowerCase();
    if (team === '' || /\s/.test(team)) {
      return super.query(query);
    }

    const every = await super.query({
      ...query,
      pageCursor: undefined,
      pageLimit: Number.MAX_SAFE_INTEGER,
    });
    const ordered = [
      ...every.results.filter(r => isOwnedBy(r.document, team)),
      ...every.results.filter(r => !isOwnedBy(r.document, team)),
    ];

    const pageSize = query.pageLimit || DEFAULT_PAGE_SIZE;
    const page = decodePage(query.pageCursor);
    const offset = page * pageSize;
    return {
      results: ordered
        .slice(offset, offset + pageSize)
        .map((result, index) => ({ ...result, rank: offset + index + 1 })),
      numberOfResults: ordered.length,
      nextPageCursor:
        ordered.length > offset + pageSize ? encodePage(page + 1) : undefined,
      previousPageCursor: page > 0 ? encodePage(page - 1) : undefined,
    };
  }
}
