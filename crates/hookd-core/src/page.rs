//! Cursor pagination shared by every list operation, with Svix's semantics: `iterator` is the
//! key of the last item returned, `prevIterator` is `-` followed by the key of the first, and a
//! leading `-` on an incoming iterator asks for the page before it.
//!
//! Stores translate a [`ListQuery`] into a key comparison and sort direction with
//! [`ListQuery::plan`], fetch `limit + 1` rows, and hand them to [`Page::assemble`]. The
//! pagination rules therefore live here once, not in each store's SQL.

use serde::{Deserialize, Serialize};

/// Svix's default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page we serve; larger requests are clamped (Svix clamps to 250 as well).
pub const MAX_LIMIT: u32 = 250;

/// List order by key (ids sort by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest (or alphabetically first) first.
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The items that follow this key in list order.
    After(String),
    /// The items that precede this key in list order.
    Before(String),
}

/// A request for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size, already clamped to `1..=MAX_LIMIT`.
    pub limit: u32,
    /// Where to start; `None` is the beginning of the list.
    pub cursor: Option<Cursor>,
    /// List order.
    pub order: Order,
}

/// How a store must fetch rows for a [`ListQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPlan<'a> {
    /// `Some((key, true))` means `key_column > key`; `Some((key, false))` means `< key`.
    pub bound: Option<(&'a str, bool)>,
    /// Sort ascending by key when true, descending otherwise.
    pub ascending: bool,
    /// How many rows to fetch: one more than the page, to learn whether more exist.
    pub fetch: u32,
}

impl ListQuery {
    /// A query for the first page in `order`.
    pub fn first(limit: u32, order: Order) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            cursor: None,
            order,
        }
    }

    /// Builds a query from the API's raw parameters. A `-` prefix on the iterator means
    /// "the page before".
    pub fn from_params(limit: Option<u64>, iterator: Option<&str>, order: Order) -> Self {
        let limit = limit
            .map(|l| u32::try_from(l.min(u64::from(MAX_LIMIT))).unwrap_or(MAX_LIMIT))
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT);
        let cursor = iterator
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix('-') {
                Some(rest) => Cursor::Before(rest.to_owned()),
                None => Cursor::After(s.to_owned()),
            });
        Self {
            limit,
            cursor,
            order,
        }
    }

    /// The comparison and sort a store must use.
    pub fn plan(&self) -> FetchPlan<'_> {
        let forward_asc = self.order == Order::Ascending;
        let (bound, ascending) = match &self.cursor {
            None => (None, forward_asc),
            Some(Cursor::After(k)) => (Some((k.as_str(), forward_asc)), forward_asc),
            Some(Cursor::Before(k)) => (Some((k.as_str(), !forward_asc)), !forward_asc),
        };
        FetchPlan {
            bound,
            ascending,
            fetch: self.limit + 1,
        }
    }
}

/// One page of a list, in Svix's `ListResponse` shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in list order.
    pub data: Vec<T>,
    /// The key of the last item, to fetch the next page.
    pub iterator: Option<String>,
    /// `-` and the key of the first item, to fetch the previous page.
    pub prev_iterator: Option<String>,
    /// Whether this is the last page in the direction of travel.
    pub done: bool,
}

impl<T> Page<T> {
    /// Turns rows fetched per [`ListQuery::plan`] (up to `limit + 1`, in the plan's sort order)
    /// into a page.
    pub fn assemble(mut rows: Vec<T>, query: &ListQuery, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > query.limit as usize;
        rows.truncate(query.limit as usize);
        let backwards = matches!(query.cursor, Some(Cursor::Before(_)));
        if backwards {
            rows.reverse();
        }
        let iterator = rows.last().map(&key);
        let prev_iterator = rows.first().map(|r| format!("-{}", key(r)));
        // Going backwards, "done" means there is nothing further back; the pages after this
        // one certainly exist, since we came from them.
        Self {
            data: rows,
            iterator,
            prev_iterator,
            done: !more,
        }
    }

    /// Maps the items, keeping the cursors.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            iterator: self.iterator,
            prev_iterator: self.prev_iterator,
            done: self.done,
        }
    }

    /// [`Self::map`] with a fallible `f`: the first error is the result.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            data: self.data.into_iter().map(f).collect::<Result<_, E>>()?,
            iterator: self.iterator,
            prev_iterator: self.prev_iterator,
            done: self.done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory "store" that follows the plan, to test the rules end to end.
    fn fetch(all: &[u32], q: &ListQuery) -> Page<u32> {
        let plan = q.plan();
        let mut rows: Vec<u32> = all
            .iter()
            .copied()
            .filter(|v| match plan.bound {
                None => true,
                Some((k, gt)) => {
                    let k: u32 = k.parse().unwrap();
                    if gt {
                        *v > k
                    } else {
                        *v < k
                    }
                }
            })
            .collect();
        rows.sort();
        if !plan.ascending {
            rows.reverse();
        }
        rows.truncate(plan.fetch as usize);
        Page::assemble(rows, q, |v| format!("{v:03}"))
    }

    #[test]
    fn walks_forward_and_back_in_both_orders() {
        let all: Vec<u32> = (1..=7).collect();
        for order in [Order::Ascending, Order::Descending] {
            let mut q = ListQuery::first(3, order);
            let mut seen = vec![];
            let mut pages = vec![];
            loop {
                let page = fetch(&all, &q);
                seen.extend(page.data.clone());
                pages.push(page.clone());
                if page.done {
                    break;
                }
                q = ListQuery::from_params(Some(3), page.iterator.as_deref(), order);
            }
            let mut expected = all.clone();
            if order == Order::Descending {
                expected.reverse();
            }
            assert_eq!(seen, expected);
            assert_eq!(pages.len(), 3);
            // The previous page of the last page is the middle page.
            let last = pages.last().unwrap();
            let back = fetch(
                &all,
                &ListQuery::from_params(Some(3), last.prev_iterator.as_deref(), order),
            );
            assert_eq!(back.data, pages[1].data);
            assert!(!back.done);
        }
    }

    #[test]
    fn limits_are_clamped_and_empty_lists_are_done() {
        assert_eq!(
            ListQuery::from_params(Some(0), None, Order::Ascending).limit,
            1
        );
        assert_eq!(
            ListQuery::from_params(Some(10_000), None, Order::Ascending).limit,
            MAX_LIMIT
        );
        assert_eq!(
            ListQuery::from_params(None, None, Order::Ascending).limit,
            DEFAULT_LIMIT
        );
        let page = fetch(&[], &ListQuery::first(5, Order::Ascending));
        assert!(page.done);
        assert!(page.iterator.is_none());
    }
}
