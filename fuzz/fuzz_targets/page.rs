//! Fuzzes cursor pagination (`hookd_core::page`): any `limit`, `iterator` and order build a
//! query with a page size of 1 to 250, and over any set of keys a store that follows
//! [`ListQuery::plan`] returns pages that hold at most `limit` items in list order, whose
//! cursors name their last and first items, and which, followed forwards from the start (or
//! backwards from the end), visit every key exactly once. It must not assert anything the
//! module's documentation does not promise.

#![no_main]

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use hookd_core::page::{ListQuery, Order, Page, MAX_LIMIT};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    keys: BTreeSet<u16>,
    limit: Option<u64>,
    iterator: Option<String>,
    descending: bool,
    walk_limit: u8,
}

/// Keys as a store holds them: zero-padded, so text order is numeric order.
fn key(n: u16) -> String {
    format!("k{n:05}")
}

/// A store over `keys` that follows the plan, as the SQL stores do.
fn fetch(keys: &[String], q: &ListQuery) -> Page<String> {
    let plan = q.plan();
    let mut rows: Vec<String> = keys
        .iter()
        .filter(|k| match plan.bound {
            None => true,
            Some((bound, true)) => k.as_str() > bound,
            Some((bound, false)) => k.as_str() < bound,
        })
        .cloned()
        .collect();
    if !plan.ascending {
        rows.reverse();
    }
    rows.truncate(plan.fetch as usize);
    Page::assemble(rows, q, Clone::clone)
}

fn in_order(items: &[String], order: Order) -> bool {
    items.windows(2).all(|w| match order {
        Order::Ascending => w[0] < w[1],
        Order::Descending => w[0] > w[1],
    })
}

fuzz_target!(|input: Input| {
    let order = if input.descending {
        Order::Descending
    } else {
        Order::Ascending
    };
    let keys: Vec<String> = input.keys.iter().copied().map(key).collect();

    let q = ListQuery::from_params(input.limit, input.iterator.as_deref(), order);
    assert!((1..=MAX_LIMIT).contains(&q.limit), "limit {}", q.limit);
    let page = fetch(&keys, &q);
    assert!(page.data.len() <= q.limit as usize);
    assert!(in_order(&page.data, order), "{:?}", page.data);
    assert_eq!(page.iterator.as_ref(), page.data.last());
    assert_eq!(
        page.prev_iterator,
        page.data.first().map(|k| format!("-{k}"))
    );

    // Forwards from the start: every key once, in order.
    let walk = ListQuery::from_params(Some(u64::from(input.walk_limit)), None, order);
    let mut seen = Vec::new();
    let mut query = walk.clone();
    loop {
        let page = fetch(&keys, &query);
        seen.extend(page.data.iter().cloned());
        assert!(seen.len() <= keys.len(), "a key was returned twice");
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(Some(u64::from(walk.limit)), Some(&next), order)
            }
            (false, None) => panic!("a page that is not the last has no iterator"),
            (true, _) => break,
        }
    }
    let mut expected = keys.clone();
    if order == Order::Descending {
        expected.reverse();
    }
    assert_eq!(seen, expected, "the forward walk missed or reordered keys");

    // Backwards from past the end: every key once, ending at the first.
    let Some(last) = expected.last() else { return };
    // A cursor just past the last key in list order: above every key ascending, below every
    // key descending ("k" sorts before "k00000").
    let past_end = match order {
        Order::Ascending => format!("-{last}~"),
        Order::Descending => "-k".to_owned(),
    };
    let mut seen_back: Vec<String> = Vec::new();
    let mut query = ListQuery::from_params(Some(u64::from(walk.limit)), Some(&past_end), order);
    loop {
        let page = fetch(&keys, &query);
        assert!(in_order(&page.data, order));
        let mut chunk = page.data.clone();
        chunk.extend(seen_back);
        seen_back = chunk;
        assert!(
            seen_back.len() <= keys.len(),
            "a key was returned twice going back"
        );
        match (page.done, page.prev_iterator) {
            (false, Some(prev)) => {
                query = ListQuery::from_params(Some(u64::from(walk.limit)), Some(&prev), order)
            }
            (false, None) => panic!("a page that is not the first has no prevIterator"),
            (true, _) => break,
        }
    }
    assert_eq!(
        seen_back, expected,
        "the backward walk missed or reordered keys"
    );
});
