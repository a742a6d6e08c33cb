//! Plain-words reasons: at most one short sentence per signal, from the
//! seeker's side, never naming the other person's support needs unless they
//! chose to share them.

use friends_domain::bands::DistanceBand;

use crate::codebook::Codebook;
use crate::profile::MatchProfile;

fn join_labels(labels: &[&str]) -> String {
    match labels {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Rarest first: sharing "canal boating" says more than sharing "music".
fn rarest_first(interests: &mut [u16], idf: &[f64]) {
    interests.sort_by(|left, right| idf[usize::from(*right)].total_cmp(&idf[usize::from(*left)]).then(left.cmp(right)));
}

fn shared_interests(seeker: &MatchProfile, other: &MatchProfile) -> Vec<u16> {
    seeker.interests.iter().copied().filter(|interest| other.interests.binary_search(interest).is_ok()).collect()
}

/// The reasons for suggesting `other` to `seeker`. Shared support needs
/// are named only when `disclose_needs` (the other person shares theirs; for
/// reasons both people read, both do).
pub fn reasons(
    codebook: &Codebook,
    idf: &[f64],
    seeker: &MatchProfile,
    other: &MatchProfile,
    distance_km: f32,
    disclose_needs: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut interests = shared_interests(seeker, other);
    rarest_first(&mut interests, idf);
    if !interests.is_empty() {
        let labels: Vec<&str> = interests.iter().take(3).map(|&interest| codebook.interests.label(interest)).collect();
        lines.push(format!("You both like {}.", join_labels(&labels)));
    }
    let goals = seeker.core.goals & other.core.goals;
    if goals != 0 {
        let first = goals.trailing_zeros() as u16;
        lines.push(format!("You both chose “{}”.", codebook.goals.label(first)));
    }
    let slots = seeker.core.availability & other.core.availability;
    if slots != 0 {
        let first = slots.trailing_zeros() as u16;
        let more = if slots.count_ones() > 1 { " and at other times" } else { "" };
        lines.push(format!("You are both free on {}{more}.", codebook.availability.label(first)));
    }
    if let (Some((own_min, own_max)), Some((other_min, other_max))) =
        (seeker.core.contribution, other.core.contribution)
        && own_min.max(other_min) <= own_max.min(other_max)
    {
        lines.push("You can both put in a similar amount each week.".to_owned());
    }
    let shared_needs = seeker.core.support_needs & other.core.support_needs;
    if disclose_needs && shared_needs != 0 && (seeker.core.similar_needs || other.core.similar_needs) {
        let labels: Vec<&str> = codebook
            .support_needs
            .ids_of(shared_needs)
            .iter()
            .filter_map(|id| codebook.support_needs.index(id))
            .map(|index| codebook.support_needs.label(index))
            .collect();
        lines.push(format!("You have support needs in common: {}.", join_labels(&labels)));
    }
    if seeker.core.access_needs & other.core.access_needs != 0 {
        lines.push("The same kind of venue would suit you both.".to_owned());
    }
    lines.push(match DistanceBand::of(f64::from(distance_km)) {
        DistanceBand::Under2 => "Under 2 km apart.".to_owned(),
        DistanceBand::From2To5 => "About 2 to 5 km apart.".to_owned(),
        DistanceBand::From5To10 => "About 5 to 10 km apart.".to_owned(),
        DistanceBand::From10To20 => "About 10 to 20 km apart.".to_owned(),
        DistanceBand::Over20 => "Over 20 km apart.".to_owned(),
    });
    lines
}

/// "three", "four"…: how many people, in words.
fn people_in_words(count: usize) -> String {
    match count {
        2 => "two".to_owned(),
        3 => "three".to_owned(),
        4 => "four".to_owned(),
        5 => "five".to_owned(),
        6 => "six".to_owned(),
        other => other.to_string(),
    }
}

/// The reasons for a group (everyone, the seeker first), about the whole
/// group: what all of them like, want (`asked_goal` first, when a search
/// named one), and when they are all free. Support needs are never named
/// (a group reason is read by everyone in it).
pub fn group_reasons(
    codebook: &Codebook,
    idf: &[f64],
    everyone: &[&MatchProfile],
    farthest_km: f32,
    asked_goal: Option<u16>,
) -> Vec<String> {
    let Some((first, others)) = everyone.split_first() else { return Vec::new() };
    let mut lines = Vec::new();
    let mut interests: Vec<u16> = first
        .interests
        .iter()
        .copied()
        .filter(|interest| others.iter().all(|other| other.interests.binary_search(interest).is_ok()))
        .collect();
    rarest_first(&mut interests, idf);
    if !interests.is_empty() {
        let labels: Vec<&str> = interests.iter().take(3).map(|&interest| codebook.interests.label(interest)).collect();
        lines.push(format!("You all like {}.", join_labels(&labels)));
    }
    let goals = everyone.iter().fold(u32::MAX, |bits, person| bits & person.core.goals);
    if goals != 0 {
        // The goal asked for, when they all chose it; else the first shared.
        let goal = asked_goal.filter(|goal| goals & (1 << goal) != 0).unwrap_or(goals.trailing_zeros() as u16);
        lines.push(format!("You all chose “{}”.", codebook.goals.label(goal)));
    }
    let slots = everyone.iter().fold(u32::MAX, |bits, person| bits & person.core.availability);
    if slots != 0 {
        let more = if slots.count_ones() > 1 { " and at other times" } else { "" };
        let label = codebook.availability.label(slots.trailing_zeros() as u16);
        lines.push(format!("All {} of you are free on {label}{more}.", people_in_words(everyone.len())));
    }
    // The amount only when everyone gave one: otherwise the line would say
    // that someone did not, and narrow down the others' ranges.
    let ranges: Option<Vec<(u32, u32)>> = everyone.iter().map(|person| person.core.contribution).collect();
    if let Some(ranges) = ranges {
        let (low, high) = ranges.iter().fold((0, u32::MAX), |(low, high), &(min, max)| (low.max(min), high.min(max)));
        if low <= high {
            let amount = if low == high { format!("£{low}") } else { format!("£{low} to £{high}") };
            lines.push(format!("Everyone can put in {amount} a week."));
        }
    }
    if everyone.iter().fold(u32::MAX, |bits, person| bits & person.core.access_needs) != 0 {
        lines.push("The same kind of venue would suit you all.".to_owned());
    }
    lines.push(match DistanceBand::of(f64::from(farthest_km)) {
        DistanceBand::Under2 => "You all live under 2 km apart.".to_owned(),
        DistanceBand::From2To5 => "You all live within about 5 km of each other.".to_owned(),
        DistanceBand::From5To10 => "You all live within about 10 km of each other.".to_owned(),
        DistanceBand::From10To20 => "You all live within about 20 km of each other.".to_owned(),
        DistanceBand::Over20 => "Some of you live over 20 km apart.".to_owned(),
    });
    lines
}
