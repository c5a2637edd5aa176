//! Order-preserving work on every core, for `--all-profiles`: rendering the profiles and
//! writing their directories are independent per profile.

/// Applies `f` to every item on up to one thread per core and returns the results in the
/// order of `items`, so output and error messages never depend on scheduling. A panic in `f`
/// is re-raised on the calling thread.
pub(crate) fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if workers == 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(map(&items, |n| n * 2), items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn no_items_give_no_results() {
        assert!(map(&[] as &[u32], |n| *n).is_empty());
    }
}
