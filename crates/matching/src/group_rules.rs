//! The group-level rules of DESIGN §4 "Groups" over the members added so
//! far (one goal, one slot and one weekly amount for everyone), and what
//! they ask of each candidate with the seeker. A leaf: the pair scan
//! (`population`) applies [`admits`] and the group search (`groups`) keeps
//! [`Rules`] as it adds members.

use crate::profile::Core;

/// Whether `other` could share a group of `size` with the seeker: their
/// own limit allows it, and the two share a goal (a goal asked for is one
/// both chose, checked with the other filters), a slot and a weekly
/// amount. Necessary for the group rules, which [`Rules`] then checks for
/// the whole group.
pub(crate) fn admits(seeker: &Core, other: &Core, size: u8) -> bool {
    other.group_size_max >= size && Rules::of(seeker).with(other).is_some()
}

/// The group-level rules over the members added so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    goals: u32,
    slots: u32,
    /// The highest weekly minimum and the lowest maximum among those who
    /// gave a range.
    amount: (u32, u32),
}

impl Rules {
    /// The rules with only `first`.
    pub(crate) fn of(first: &Core) -> Self {
        Self { goals: first.goals, slots: first.availability, amount: (0, u32::MAX) }.with_amount(first)
    }

    fn with_amount(mut self, member: &Core) -> Self {
        if let Some((low, high)) = member.contribution {
            self.amount = (self.amount.0.max(low), self.amount.1.min(high));
        }
        self
    }

    /// The rules with `member` added, if they still hold.
    pub(crate) fn with(self, member: &Core) -> Option<Self> {
        let next = Self { goals: self.goals & member.goals, slots: self.slots & member.availability, ..self }
            .with_amount(member);
        (next.goals != 0 && next.slots != 0 && next.amount.0 <= next.amount.1).then_some(next)
    }
}
