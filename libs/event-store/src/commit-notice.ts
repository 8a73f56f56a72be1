import { categoryOf } from '@baton/contracts';
import type { EventFilter } from './port';

/**
 * What a subscription is told when events commit: the committing transaction's id and, when
 * known, the categories of the streams it wrote. A subscription whose filter names categories
 * and shares none with the notice has nothing new to read and skips the read (see
 * CatchUpSubscription): with seven services on one store, each used to read after every
 * commit of every other.
 *
 * On the wire (the Postgres NOTIFY payload) it is `<commit>` or `<commit>:<category>,...`;
 * a bare commit means "any category" (what the store wrote before, and what it writes when a
 * category would not survive the separators or the list grows long).
 */
export interface CommitNotice {
  /**
   * The committing transaction's id; undefined when not known (the listener reconnected, a
   * payload did not parse): read once, but do not wait for any commit in particular.
   */
  readonly commit?: number;
  /** The categories written; undefined: not known, any may have been. */
  readonly categories?: ReadonlySet<string>;
}

/** Longest category list carried (Postgres caps a payload at 8,000 bytes). */
export const NOTICE_MAX_LIST = 4000;

/** A category the payload can carry as itself: not empty, no separator. */
const PLAIN_CATEGORY = /^[^,:]+$/;

/** The SQL regular expression {@link PLAIN_CATEGORY} is, for the append statements. */
export const PLAIN_CATEGORY_SQL = '^[^,:]+$';

/** The categories of these streams, or undefined when one of them cannot be carried (then: any). */
export function categoriesOf(streamIds: Iterable<string>): Set<string> | undefined {
  const categories = new Set<string>();
  for (const streamId of streamIds) {
    const c = categoryOf(streamId);
    if (!PLAIN_CATEGORY.test(c)) return undefined;
    categories.add(c);
  }
  return categories;
}

/** The notice of a commit that wrote these streams. */
export function noticeOf(commit: number, streamIds: Iterable<string>): CommitNotice {
  const categories = categoriesOf(streamIds);
  return categories === undefined ? { commit } : { commit, categories };
}

/** The NOTIFY payload of a notice. */
export function noticePayload(notice: CommitNotice): string {
  const list = notice.categories === undefined ? '' : [...notice.categories].join(',');
  const commit = notice.commit === undefined ? '' : String(notice.commit);
  return commit === '' || list === '' || list.length > NOTICE_MAX_LIST ? commit : `${commit}:${list}`;
}

/** The notice a NOTIFY payload carries; a payload that does not parse means "read once" (any category, no commit known). */
export function parseNotice(payload: string | undefined): CommitNotice {
  const text = payload ?? '';
  const colon = text.indexOf(':');
  const digits = colon < 0 ? text : text.slice(0, colon);
  const commit = Number(digits);
  if (digits === '' || !Number.isSafeInteger(commit) || commit < 0) return {};
  if (colon < 0) return { commit };
  const categories = text.slice(colon + 1).split(',');
  if (categories.some((c) => !PLAIN_CATEGORY.test(c))) return { commit };
  return { commit, categories: new Set(categories) };
}

/** Two notices as one (the later commit, the union of what each wrote). */
export function mergeNotices(a: CommitNotice | undefined, b: CommitNotice): CommitNotice {
  if (a === undefined) return b;
  const commit = a.commit === undefined || b.commit === undefined ? undefined : Math.max(a.commit, b.commit);
  const at = commit === undefined ? {} : { commit };
  if (a.categories === undefined || b.categories === undefined) return at;
  return { ...at, categories: new Set([...a.categories, ...b.categories]) };
}

/** Whether a commit with this notice may hold events the filter selects (false only when both name categories and share none). */
export function noticeConcerns(notice: CommitNotice, filter: EventFilter | undefined): boolean {
  const wanted = filter?.categories;
  if (notice.categories === undefined || wanted === undefined || wanted.length === 0) return true;
  return wanted.some((c) => notice.categories!.has(c));
}
