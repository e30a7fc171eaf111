//! Shared assertions: walking a list page by page in both orders and both directions, and
//! reading a delivery's current state through the public list operations.
//!
//! This module must not know which store it runs against; it only calls the trait.

use std::future::Future;

use hookd_core::{
    id::{AppId, EndpointId, MsgId},
    model::Delivery,
    page::{ListQuery, Order, Page},
    store::{Store, StoreResult},
};

/// The page size for pagination walks: small, so that a handful of rows spans several pages,
/// and not a divisor of the row counts the cases use, so that the last page is a short one.
pub const PAGE_SIZE: u32 = 3;

/// Walks a list with [`PAGE_SIZE`] pages, forwards then backwards, in both orders, and checks
/// that it yields exactly `keys_ascending` (the keys in ascending order, as the case expects
/// them) with Svix's cursor semantics. `fetch` runs one page query.
pub async fn assert_pagination<T, F, Fut>(
    what: &str,
    keys_ascending: &[String],
    mut fetch: F,
    key: impl Fn(&T) -> String,
) where
    F: FnMut(ListQuery) -> Fut,
    Fut: Future<Output = StoreResult<Page<T>>>,
{
    let n = keys_ascending.len();
    let expected_pages = n.div_ceil(PAGE_SIZE as usize).max(1);
    for order in [Order::Ascending, Order::Descending] {
        let mut expected = keys_ascending.to_vec();
        if order == Order::Descending {
            expected.reverse();
        }
        // Forwards, following `iterator`.
        let mut pages: Vec<(Vec<String>, Page<()>)> = Vec::new();
        let mut query = ListQuery::first(PAGE_SIZE, order);
        loop {
            let page = fetch(query.clone()).await.expect("list page");
            let keys: Vec<String> = page.data.iter().map(&key).collect();
            assert_eq!(
                page.iterator,
                keys.last().cloned(),
                "{what} {order:?}: iterator is the last key"
            );
            assert_eq!(
                page.prev_iterator,
                keys.first().map(|k| format!("-{k}")),
                "{what} {order:?}: prev_iterator is '-' and the first key"
            );
            let done = page.done;
            let next = page.iterator.clone();
            pages.push((keys, page.map(|_| ())));
            if done {
                break;
            }
            assert!(
                pages.len() <= expected_pages,
                "{what} {order:?}: more pages than rows allow"
            );
            query = ListQuery::from_params(Some(u64::from(PAGE_SIZE)), next.as_deref(), order);
        }
        let seen: Vec<String> = pages.iter().flat_map(|(k, _)| k.clone()).collect();
        assert_eq!(seen, expected, "{what} {order:?}: forward walk");
        assert_eq!(pages.len(), expected_pages, "{what} {order:?}: page count");

        // Backwards from each page, following `prev_iterator`: the page before page i is
        // page i - 1, and only the first page reports that nothing lies further back.
        for i in (1..pages.len()).rev() {
            let prev = pages[i].1.prev_iterator.clone();
            let query = ListQuery::from_params(Some(u64::from(PAGE_SIZE)), prev.as_deref(), order);
            let page = fetch(query).await.expect("list previous page");
            let keys: Vec<String> = page.data.iter().map(&key).collect();
            assert_eq!(
                keys,
                pages[i - 1].0,
                "{what} {order:?}: page before page {i}"
            );
            assert_eq!(
                page.done,
                i == 1,
                "{what} {order:?}: backwards from page {i}, done only at the start"
            );
        }
    }
}

/// The delivery of `msg` to `endpoint` as the read side reports it, if it exists.
pub async fn delivery(
    store: &dyn Store,
    app: &AppId,
    msg: &MsgId,
    endpoint: &EndpointId,
) -> Option<Delivery> {
    let page = store
        .list_message_deliveries(app, msg, &ListQuery::first(250, Order::Ascending))
        .await
        .expect("list_message_deliveries");
    page.data
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| &d.endpoint_id == endpoint)
}

/// Like [`delivery`], for deliveries the case knows exist.
pub async fn existing_delivery(
    store: &dyn Store,
    app: &AppId,
    msg: &MsgId,
    endpoint: &EndpointId,
) -> Delivery {
    delivery(store, app, msg, endpoint)
        .await
        .unwrap_or_else(|| panic!("delivery of {msg} to {endpoint} should exist"))
}

/// The first page (up to 250) of any list, for cases that only care about the rows.
pub fn everything() -> ListQuery {
    ListQuery::first(250, Order::Ascending)
}
