//! Small numbers in published counts (DESIGN §5 "Outcomes for brokers"):
//! every count under 5 reads "fewer than 5", and no such count can be
//! worked out from a table's total and its other cells.
//!
//! A table is cells that add up to a total (people looking, by district).
//! After the primary suppression of every cell under 5, a reader still knows
//! the total and each shown cell, so the suppressed cells' sum; each
//! suppressed cell under 5 lies in 0 to 4, each one withheld in 5 or more.
//! Where that pins a cell to one value (one cell suppressed alone, all of
//! them 0, all of them 4, or a withheld 5 beside a 0), the next smallest
//! shown cell is withheld too ("withheld": 5 or more, held back so that a
//! small count cannot be worked out), and if every cell is already held
//! back, the total is. Cells not in a table (a breakdown where one person
//! counts in several cells, like goals) need only the primary rule.

use serde::{Serialize, Serializer};

/// The smallest count shown as a number.
pub const SMALLEST_SHOWN: u64 = 5;

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// 5 or more, shown.
    Shown(u64),
    /// Under 5 (0 included).
    FewerThanFive,
    /// 5 or more, withheld so that a small count cannot be worked out.
    Withheld,
}

impl Count {
    /// The primary rule alone.
    pub fn of(count: u64) -> Self {
        if count < SMALLEST_SHOWN { Self::FewerThanFive } else { Self::Shown(count) }
    }

    /// The number, when shown.
    pub fn shown(self) -> Option<u64> {
        match self {
            Self::Shown(count) => Some(count),
            Self::FewerThanFive | Self::Withheld => None,
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Shown(count) => serializer.serialize_u64(*count),
            Self::FewerThanFive => serializer.serialize_str("fewer than 5"),
            Self::Withheld => serializer.serialize_str("withheld"),
        }
    }
}

/// What a reader knows of one cell: a range.
fn bounds(count: Count, value: u64, total: u64) -> (u64, u64) {
    match count {
        Count::Shown(_) => (value, value),
        Count::FewerThanFive => (0, SMALLEST_SHOWN - 1),
        Count::Withheld => (SMALLEST_SHOWN, total),
    }
}

/// Whether a reader who knows `total` could pin any held-back cell to one
/// value (the tight bounds of a sum of ranged cells).
fn some_cell_pinned(cells: &[Count], values: &[u64], total: u64) -> bool {
    let held: Vec<usize> = (0..cells.len()).filter(|&index| cells[index].shown().is_none()).collect();
    if held.is_empty() {
        return false;
    }
    let shown: u64 = values.iter().zip(cells).filter(|(_, cell)| cell.shown().is_some()).map(|(value, _)| value).sum();
    let rest = total.saturating_sub(shown);
    let ranges: Vec<(u64, u64)> = held.iter().map(|&index| bounds(cells[index], values[index], total)).collect();
    let lowest: u64 = ranges.iter().map(|range| range.0).sum();
    let highest: u64 = ranges.iter().map(|range| range.1).sum();
    ranges.iter().any(|&(low, high)| {
        let others_low = lowest - low;
        let others_high = highest - high;
        let from = low.max(rest.saturating_sub(others_high));
        let to = high.min(rest.saturating_sub(others_low));
        from >= to
    })
}

/// A table: `values` that add up to `total`, published so that no small
/// count can be worked out. Returns the cells and the total.
pub fn table(values: &[u64], total: u64) -> (Vec<Count>, Count) {
    debug_assert_eq!(values.iter().sum::<u64>(), total, "a table's cells add up to its total");
    let total_count = Count::of(total);
    let mut cells: Vec<Count> = values.iter().map(|&value| Count::of(value)).collect();
    // A total under 5 tells no more than its cells: nothing is pinned.
    if total_count == Count::FewerThanFive {
        return (cells, total_count);
    }
    while some_cell_pinned(&cells, values, total) {
        let next = (0..cells.len()).filter(|&index| cells[index].shown().is_some()).min_by_key(|&index| values[index]);
        match next {
            Some(index) => cells[index] = Count::Withheld,
            None => return (cells, Count::Withheld),
        }
    }
    (cells, total_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every assignment of cell values a reader could hold true, by brute
    /// force: each cell shown as it is, under 5, or 5 or more, summing to
    /// the total as shown (any total when it is held back).
    fn consistent(cells: &[Count], total: Count, limit: u64) -> Vec<Vec<u64>> {
        let mut found = Vec::new();
        let mut current = vec![0; cells.len()];
        fn walk(
            cells: &[Count],
            total: Count,
            limit: u64,
            index: usize,
            current: &mut Vec<u64>,
            found: &mut Vec<Vec<u64>>,
        ) {
            if index == cells.len() {
                let sum: u64 = current.iter().sum();
                let fits = match total {
                    Count::Shown(total) => sum == total,
                    Count::FewerThanFive => sum < SMALLEST_SHOWN,
                    Count::Withheld => sum >= SMALLEST_SHOWN,
                };
                if fits {
                    found.push(current.clone());
                }
                return;
            }
            let values: Vec<u64> = match cells[index] {
                Count::Shown(value) => vec![value],
                Count::FewerThanFive => (0..SMALLEST_SHOWN).collect(),
                Count::Withheld => (SMALLEST_SHOWN..=limit).collect(),
            };
            for value in values {
                current[index] = value;
                walk(cells, total, limit, index + 1, current, found);
            }
        }
        walk(cells, total, limit, 0, &mut current, &mut found);
        found
    }

    #[test]
    fn counts_read_as_published() {
        let json = serde_json::to_value([Count::of(3), Count::of(12), Count::Withheld]).unwrap_or_default();
        assert_eq!(json, serde_json::json!(["fewer than 5", 12, "withheld"]));
        assert_eq!(Count::of(0), Count::FewerThanFive);
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let (cells, total) = table(&[2, 9, 30], 41);
        assert_eq!(cells, vec![Count::FewerThanFive, Count::Withheld, Count::Shown(30)]);
        assert_eq!(total, Count::Shown(41));
        // Two small cells summing to 0 or 8 give themselves away too.
        let (cells, _) = table(&[0, 0, 7], 7);
        assert_eq!(cells, vec![Count::FewerThanFive, Count::FewerThanFive, Count::Withheld]);
        let (cells, total) = table(&[4, 4], 8);
        assert_eq!((cells, total), (vec![Count::FewerThanFive, Count::FewerThanFive], Count::Withheld));
        // Nothing small: everything shown.
        assert_eq!(table(&[5, 6], 11).0, vec![Count::Shown(5), Count::Shown(6)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// A reader trying every value a suppressed cell could hold, given
        /// the total and the shown cells, always finds two or more.
        #[test]
        fn no_held_back_cell_can_be_worked_out(values in proptest::collection::vec(0u64..12, 1..5)) {
            let total: u64 = values.iter().sum();
            let (cells, shown_total) = table(&values, total);
            for (cell, value) in cells.iter().zip(&values) {
                match cell {
                    Count::Shown(shown) => prop_assert_eq!(shown, value),
                    Count::FewerThanFive => prop_assert!(*value < SMALLEST_SHOWN),
                    Count::Withheld => prop_assert!(*value >= SMALLEST_SHOWN),
                }
            }
            let worlds = consistent(&cells, shown_total, total + 10);
            prop_assert!(worlds.contains(&values), "the truth is among them");
            for (index, cell) in cells.iter().enumerate() {
                if cell.shown().is_none() {
                    let first = worlds[0][index];
                    prop_assert!(
                        worlds.iter().any(|world| world[index] != first),
                        "cell {} of {:?} shown as {:?} / {:?} is pinned", index, values, cells, shown_total
                    );
                }
            }
        }
    }
}
