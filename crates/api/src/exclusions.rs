//! Pairs who must never meet in suggestions or search: blocks, either way.
//! (Open and recently declined introductions join this with the
//! introductions work.) Derived from the database like the other indexes.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

/// Active blocks, by id and by person.
#[derive(Debug, Default)]
pub struct Exclusions {
    blocks: HashMap<Uuid, (Uuid, Uuid)>,
    /// For each person, the others they must not meet, with how many active
    /// blocks keep each pair apart (either may block the other).
    by_person: HashMap<Uuid, HashMap<Uuid, u32>>,
}

impl Exclusions {
    /// Records an active block (idempotent).
    pub fn add(&mut self, block: Uuid, blocker: Uuid, blocked: Uuid) {
        if self.blocks.insert(block, (blocker, blocked)).is_some() {
            return;
        }
        *self.by_person.entry(blocker).or_default().entry(blocked).or_default() += 1;
        *self.by_person.entry(blocked).or_default().entry(blocker).or_default() += 1;
    }

    /// Forgets a block (idempotent).
    pub fn remove(&mut self, block: Uuid) {
        let Some((blocker, blocked)) = self.blocks.remove(&block) else { return };
        for (one, other) in [(blocker, blocked), (blocked, blocker)] {
            if let Some(others) = self.by_person.get_mut(&one) {
                if let Some(count) = others.get_mut(&other) {
                    *count -= 1;
                    if *count == 0 {
                        others.remove(&other);
                    }
                }
                if others.is_empty() {
                    self.by_person.remove(&one);
                }
            }
        }
    }

    /// Forgets every block involving an erased person.
    pub fn remove_person(&mut self, person: Uuid) {
        let involved: Vec<Uuid> = self
            .blocks
            .iter()
            .filter(|(_, (blocker, blocked))| *blocker == person || *blocked == person)
            .map(|(block, _)| *block)
            .collect();
        for block in involved {
            self.remove(block);
        }
    }

    /// The people `person` must never be shown, nor be shown to.
    pub fn of(&self, person: Uuid) -> HashSet<Uuid> {
        self.by_person.get(&person).map(|others| others.keys().copied().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_stays_apart_while_either_block_stands() {
        let (ada, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut exclusions = Exclusions::default();
        exclusions.add(Uuid::from_u128(10), ada, bea);
        exclusions.add(Uuid::from_u128(11), bea, ada);
        assert!(exclusions.of(ada).contains(&bea) && exclusions.of(bea).contains(&ada));
        exclusions.remove(Uuid::from_u128(10));
        assert!(exclusions.of(ada).contains(&bea), "the other block still stands");
        exclusions.remove(Uuid::from_u128(11));
        assert!(exclusions.of(ada).is_empty() && exclusions.of(bea).is_empty());
        exclusions.add(Uuid::from_u128(12), ada, bea);
        exclusions.remove_person(bea);
        assert!(exclusions.of(ada).is_empty());
    }
}
