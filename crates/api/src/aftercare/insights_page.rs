//! The brokers' insights as a page (`Accept: text/html`): bar charts and a
//! dot map of districts, drawn on the server as SVG, each with a text
//! alternative and its numbers in a table; no script. Suppressed counts are
//! never drawn.

use actix_web::HttpResponse;
use friends_domain::suppression::Count;
use maud::{Markup, html};

use super::insights::{DistrictCount, InsightsView, PeopleCounts, StateCount};
use crate::html::page;
use crate::pages::waited_in_words;

const WIDTH: f64 = 640.0;
const ROW: f64 = 34.0;
const LABEL_WIDTH: f64 = 250.0;
const BAR_SPACE: f64 = 280.0;
/// Bars and dots: GOV.UK blue, 5.2:1 on white.
const INK: &str = "#1d70b8";

fn count_in_words(count: Count) -> String {
    match count {
        Count::Shown(count) => count.to_string(),
        Count::FewerThanFive => "fewer than 5".into(),
        Count::Withheld => "withheld".into(),
    }
}

fn state_in_words(state: &str) -> &str {
    match state {
        "pending_review" => "Waiting for a broker",
        "awaiting_consent" => "Waiting for everyone's yes",
        "introduced" => "Introduced",
        "ended" => "Ended",
        "declined" => "Declined",
        "withdrawn" => "Withdrawn",
        "expired" => "Expired",
        "report" => "Worries reported",
        "enquiry" => "Questions from residents",
        "check_in" => "Check-ins to follow up",
        "going_well" => "Going well",
        "mixed" => "Some good, some not",
        "not_well" => "Not going well",
        "want_to_stop" => "Wanted to stop",
        "unanswered" => "Not answered",
        other => other,
    }
}

/// A horizontal bar chart of `rows`, with its text alternative and table.
fn bars(id: &str, caption: &str, rows: &[(String, Count)]) -> Markup {
    let largest = rows.iter().filter_map(|(_, count)| count.shown()).max().unwrap_or(0).max(1) as f64;
    let height = ROW * rows.len() as f64 + 10.0;
    let described: Vec<String> =
        rows.iter().map(|(label, count)| format!("{label}: {}", count_in_words(*count))).collect();
    html! {
        figure {
            svg role="img" aria-labelledby={ (id) "-title " (id) "-desc" } viewBox={ "0 0 " (WIDTH) " " (height) }
                width="100%" xmlns="http://www.w3.org/2000/svg" {
                title id={ (id) "-title" } { (caption) }
                desc id={ (id) "-desc" } { (described.join(". ")) "." }
                @for (index, (label, count)) in rows.iter().enumerate() {
                    @let y = ROW * index as f64 + 5.0;
                    text x="0" y=(y + 21.0) font-size="16" fill="#1a1a1a" { (label) }
                    @if let Some(value) = count.shown() {
                        rect x=(LABEL_WIDTH) y=(y + 4.0) height=(ROW - 10.0) width=(BAR_SPACE * value as f64 / largest) fill=(INK) {}
                        text x=(LABEL_WIDTH + BAR_SPACE * value as f64 / largest + 8.0) y=(y + 21.0) font-size="16" fill="#1a1a1a" { (value) }
                    } @else {
                        text x=(LABEL_WIDTH) y=(y + 21.0) font-size="16" fill="#1a1a1a" { (count_in_words(*count)) }
                    }
                }
            }
            figcaption { (caption) }
            details {
                summary { "The numbers" }
                table {
                    thead { tr { th scope="col" { "What" } th scope="col" { "How many" } } }
                    tbody { @for (label, count) in rows { tr { td { (label) } td { (count_in_words(*count)) } } } }
                }
            }
        }
    }
}

/// A dot map of the districts with a shown count (suppressed ones are not
/// drawn), sized by count.
fn dot_map(id: &str, caption: &str, districts: &[DistrictCount]) -> Markup {
    let shown: Vec<(&DistrictCount, u64)> =
        districts.iter().filter_map(|district| district.count.shown().map(|count| (district, count))).collect();
    if shown.is_empty() {
        return html! { p class="empty" { "No district has 5 or more people yet, so there is no map." } };
    }
    let all = districts.iter();
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for district in all {
        west = west.min(district.longitude);
        east = east.max(district.longitude);
        south = south.min(district.latitude);
        north = north.max(district.latitude);
    }
    let squash = ((south + north) / 2.0).to_radians().cos();
    let span_x = ((east - west) * squash).max(0.01);
    let span_y = (north - south).max(0.01);
    let (map_width, map_height, pad) = (WIDTH - 80.0, 420.0, 40.0);
    let scale = (map_width / span_x).min(map_height / span_y);
    let largest = shown.iter().map(|(_, count)| *count).max().unwrap_or(1) as f64;
    let described: Vec<String> =
        shown.iter().map(|(district, count)| format!("{}: {count}", district.district)).collect();
    html! {
        figure {
            svg role="img" aria-labelledby={ (id) "-title " (id) "-desc" } viewBox={ "0 0 " (WIDTH) " " (map_height + 2.0 * pad) }
                width="100%" xmlns="http://www.w3.org/2000/svg" {
                title id={ (id) "-title" } { (caption) }
                desc id={ (id) "-desc" } {
                    "Districts with 5 or more people: " (described.join(", ")) ". Districts with fewer are not drawn."
                }
                rect x="1" y="1" width=(WIDTH - 2.0) height=(map_height + 2.0 * pad - 2.0) fill="none" stroke="#505a5f" {}
                @for (district, count) in &shown {
                    @let x = pad + (district.longitude - west) * squash * scale;
                    @let y = pad + (north - district.latitude) * scale;
                    @let radius = 5.0 + 20.0 * (*count as f64 / largest).sqrt();
                    circle cx=(x) cy=(y) r=(radius) fill=(INK) fill-opacity="0.75" stroke="#0b0c0c" {}
                    text x=(x + radius + 4.0) y=(y + 5.0) font-size="15" fill="#1a1a1a" { (district.district) " (" (count) ")" }
                }
            }
            figcaption { (caption) " Bigger dots mean more people. Districts with fewer than 5 people are not drawn." }
        }
    }
}

fn district_rows(districts: &[DistrictCount]) -> Vec<(String, Count)> {
    districts.iter().map(|district| (district.district.clone(), district.count)).collect()
}

fn state_rows(states: &[StateCount]) -> Vec<(String, Count)> {
    states.iter().map(|state| (state_in_words(&state.state).to_owned(), state.count)).collect()
}

fn how_many(count: Count, many: &str) -> String {
    match count {
        Count::Shown(count) => format!("{count} {many}"),
        Count::FewerThanFive => format!("Fewer than 5 {many}"),
        Count::Withheld => format!("Some {many} (the number is withheld)"),
    }
}

fn people_section(id: &str, people: &PeopleCounts, words: &str) -> Markup {
    let goals: Vec<(String, Count)> = people.by_goal.iter().map(|goal| (goal.label.clone(), goal.count)).collect();
    let interests: Vec<(String, Count)> =
        people.top_interests.iter().map(|term| (term.label.clone(), term.count)).collect();
    html! {
        p { (how_many(people.total, words)) "." }
        h3 { "Where they live" }
        (dot_map(&format!("{id}-map"), "People by postcode district.", &people.by_district))
        (bars(&format!("{id}-districts"), "People by postcode district.", &district_rows(&people.by_district)))
        h3 { "What they want to do" }
        (bars(&format!("{id}-goals"), "People by what they want to do. One person can want several things.", &goals))
        @if !interests.is_empty() {
            h3 { "What they like most" }
            (bars(&format!("{id}-interests"), "The interests chosen most.", &interests))
        }
    }
}

/// The page.
pub fn insights_page(view: &InsightsView) -> HttpResponse {
    let queue = &view.queue;
    let running: Vec<(String, Count)> = view
        .running
        .iter()
        .map(|row| (format!("Still going after {} months", row.after_months), row.still_running))
        .collect();
    let body = html! {
        p { (view.authority.name) ". Made on " (crate::html::date_in_words(view.generated_at)) "." }
        p { "Numbers under 5 show as \"fewer than 5\". A few other numbers are \"withheld\", so that nobody can work out a small number." }
        section aria-labelledby="looking" {
            h2 id="looking" { "People looking to share" }
            (people_section("looking", &view.looking, "people are looking to share"))
        }
        section aria-labelledby="unmet" {
            h2 id="unmet" { "People with nobody to suggest yet" }
            p { "This is where more people need to hear about the service." }
            (people_section("unmet", &view.nothing_to_suggest, "people have nobody to suggest yet"))
        }
        section aria-labelledby="queue" {
            h2 id="queue" { "Your queue" }
            p { (how_many(queue.waiting, "worries, questions and check-ins are waiting")) ". Requests to review are under Introductions." }
            @if let (Some(median), Some(p90)) = (queue.median_waiting_seconds, queue.p90_waiting_seconds) {
                p { "Half of them have waited " (waited_in_words(median)) " or less. Most (9 in 10) have waited " (waited_in_words(p90)) " or less." }
            }
            (bars("queue-kinds", "What is waiting in the queue.", &state_rows(&queue.by_kind)))
        }
        section aria-labelledby="introductions" {
            h2 id="introductions" { "Introductions" }
            h3 { "Pairs" }
            p { (how_many(view.introductions.pairs.total, "requests between two people")) "." }
            (bars("pairs", "Pairs by where they are now.", &state_rows(&view.introductions.pairs.by_state)))
            h3 { "Groups" }
            p { (how_many(view.introductions.groups.total, "requests for groups of 3 to 6")) "." }
            (bars("groups", "Groups by where they are now.", &state_rows(&view.introductions.groups.by_state)))
        }
        section aria-labelledby="running" {
            h2 id="running" { "Still going" }
            p { "How many arrangements were still going 3, 6 and 12 months after the introduction." }
            table {
                thead { tr { th scope="col" { "After" } th scope="col" { "Introduced that long ago" } th scope="col" { "Still going" } th scope="col" { "Stopped" } } }
                tbody {
                    @for row in &view.running {
                        tr {
                            td { (row.after_months) " months" }
                            td { (count_in_words(row.reached)) }
                            td { (count_in_words(row.still_running)) }
                            td { (count_in_words(row.stopped)) }
                        }
                    }
                }
            }
            (bars("running-chart", "Arrangements still going.", &running))
        }
        section aria-labelledby="check-ins" {
            h2 id="check-ins" { "Check-ins" }
            p { (how_many(view.check_ins.total, "check-ins were due")) "." }
            (bars("answers", "What people said at their check-ins.", &state_rows(&view.check_ins.by_answer)))
        }
    };
    page("How it is going in your area", body)
}
