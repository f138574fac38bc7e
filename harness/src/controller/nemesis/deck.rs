//! Seeded decks: choices dealt from a shuffled cycle rather than drawn with replacement, so a
//! run of a few faults still covers every kind, shape and aim (a 60 s run has six faults; six
//! independent draws from six shapes miss at least one shape two times in three).
//!
//! Neighbours: [`super::Nemesis`] deals its kinds, partition shapes, aims and kill modes here.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// A cycle of `items`, reshuffled (from the run's seed) every time it has been dealt through.
#[derive(Debug, Clone)]
pub struct Deck<T> {
    items: Vec<T>,
    next: usize,
}

impl<T: Clone> Deck<T> {
    /// A deck of `items` (dealt in a shuffled order).
    pub fn new(items: Vec<T>) -> Deck<T> {
        Deck { items, next: 0 }
    }

    /// The next item; `None` for an empty deck.
    pub fn deal(&mut self, rng: &mut ChaCha8Rng) -> Option<T> {
        if self.items.is_empty() {
            return None;
        }
        if self.next == 0 {
            self.items.shuffle(rng);
        }
        let item = self.items[self.next].clone();
        self.next = (self.next + 1) % self.items.len();
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_deck_deals_every_item_once_per_cycle() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut deck = Deck::new(vec![1, 2, 3, 4]);
        for _ in 0..3 {
            let mut cycle: Vec<i32> = (0..4).filter_map(|_| deck.deal(&mut rng)).collect();
            cycle.sort();
            assert_eq!(cycle, [1, 2, 3, 4]);
        }
        assert_eq!(Deck::<u8>::new(vec![]).deal(&mut rng), None);
    }
}
