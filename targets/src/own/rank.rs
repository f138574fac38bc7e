//! The order of node names that Bully and Ring elect by: natural order, so `n2` < `n10` and the
//! highest id of `n1`…`n10` is `n10`.
//!
//! Neighbours: [`super::bully`] (who is higher), [`super::ring`] (the ring's order).

use std::cmp::Ordering;

/// Compares two names: the text before a trailing number by bytes, then the number by value,
/// then the whole name by bytes (so `n02` and `n2` still differ).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (pa, na) = split(a);
    let (pb, nb) = split(b);
    pa.cmp(pb).then(na.cmp(&nb)).then(a.cmp(b))
}

fn split(name: &str) -> (&str, Option<u128>) {
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count().min(38);
    let (text, number) = name.split_at(name.len() - digits);
    (text, number.parse().ok())
}

/// The names in natural order.
pub fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort_by(|a, b| natural_cmp(a, b));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_names_compare_by_value() {
        let table = [
            ("n2", "n10", Ordering::Less),
            ("n10", "n9", Ordering::Greater),
            ("n3", "n3", Ordering::Equal),
            ("a9", "b1", Ordering::Less),
            ("n", "n1", Ordering::Less),
            ("n02", "n2", Ordering::Less),
        ];
        for (a, b, want) in table {
            assert_eq!(natural_cmp(a, b), want, "{a} vs {b}");
        }
    }
}
