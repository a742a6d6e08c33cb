//! The pooling agreement as a page to print (`Accept: text/html`), in
//! plain words: short sentences under headings, large type, every member's
//! confirmation and its date.

use std::collections::HashMap;

use actix_web::HttpResponse;
use friends_domain::agreement::{Account, AgreementStatus, Cost};
use friends_store::{StoredAgreement, StoredIntroduction, current_members};
use maud::{Markup, html};
use uuid::Uuid;

use crate::html::{date_in_words, page};

fn cost_in_words(cost: Cost) -> &'static str {
    match cost {
        Cost::Venue => "A place to meet",
        Cost::Transport => "Getting there and back",
        Cost::PaHours => "Hours of a personal assistant (PA)",
        Cost::Equipment => "Things we use",
        Cost::Other => "Something else",
    }
}

fn account_in_words(account: Account) -> &'static str {
    match account {
        Account::JointAccount => "In a bank account in our names.",
        Account::OneTrustedMember => "One of us we all trust keeps it.",
        Account::ManagedAccount => "A company keeps it for us (a managed account).",
        Account::PayrollService => "A payroll service pays our PA for us.",
    }
}

fn not_yet() -> Markup {
    html! { p class="empty" { "Not written yet." } }
}

/// The page. `names` holds the display names of the people in it.
pub fn agreement_page(
    introduction: &StoredIntroduction,
    agreement: &StoredAgreement,
    names: &HashMap<Uuid, String>,
) -> HttpResponse {
    let name = |person: &Uuid| names.get(person).cloned().unwrap_or_else(|| "Someone in the group".to_owned());
    let terms = &agreement.terms;
    let members = current_members(introduction);
    let confirmed = |person: &Uuid| {
        agreement
            .confirmations
            .iter()
            .find(|confirmation| confirmation.person_id == *person && confirmation.version == agreement.version)
    };
    let body = html! {
        @if agreement.status == AgreementStatus::Agreed {
            p class="status" { "Everyone in the group has agreed to this." }
        } @else {
            p class="status" { "This is a draft. Not everyone has agreed to it yet." }
        }
        p { "You can stop at any time. Tell the others, or ask your broker to help." }
        section aria-labelledby="who" {
            h2 id="who" { "Who is in the group" }
            ul {
                @for person in &members {
                    li {
                        strong { (name(person)) }
                        ". "
                        @match confirmed(person) {
                            Some(confirmation) => { "Agreed on " (date_in_words(confirmation.at)) "." }
                            None => { "Has not agreed to this version yet." }
                        }
                    }
                }
            }
        }
        section aria-labelledby="purpose" {
            h2 id="purpose" { "What the group is for" }
            @match &terms.purpose { Some(purpose) => p { (purpose) }, None => (not_yet()) }
        }
        section aria-labelledby="pays-for" {
            h2 id="pays-for" { "What the money pays for" }
            @if terms.pays_for.is_empty() { (not_yet()) } @else {
                ul {
                    @for cost in &terms.pays_for {
                        li { (cost_in_words(cost.kind)) @if let Some(note) = &cost.note { ": " (note) } "." }
                    }
                }
            }
        }
        section aria-labelledby="money" {
            h2 id="money" { "How much each person puts in" }
            @if terms.contributions.is_empty() { (not_yet()) } @else {
                ul {
                    @for (person, amount) in &terms.contributions {
                        li { (name(person)) " puts in £" (amount) " each week." }
                    }
                }
            }
        }
        section aria-labelledby="kept" {
            h2 id="kept" { "How the money is kept" }
            @match terms.account { Some(account) => p { (account_in_words(account)) }, None => (not_yet()) }
            h3 { "Who signs for the money" }
            @if terms.signatories.is_empty() { (not_yet()) } @else {
                ul { @for person in &terms.signatories { li { (name(person)) } } }
            }
        }
        section aria-labelledby="jobs" {
            h2 id="jobs" { "Who does what" }
            @if terms.roles.is_empty() { (not_yet()) } @else {
                ul { @for line in &terms.roles { li { (name(&line.person_id)) ": " (line.role) "." } } }
            }
        }
        section aria-labelledby="review" {
            h2 id="review" { "Checking it is working" }
            @match terms.review_every_weeks {
                Some(1) => p { "We talk about how it is going every week." },
                Some(weeks) => p { "We talk about how it is going every " (weeks) " weeks." },
                None => (not_yet()),
            }
        }
        section aria-labelledby="leaving" {
            h2 id="leaving" { "If someone wants to leave" }
            @match terms.leaving_notice_weeks {
                Some(0) => p { "They can leave straight away." },
                Some(1) => p { "They tell the others 1 week before they leave, if they can." },
                Some(weeks) => p { "They tell the others " (weeks) " weeks before they leave, if they can." },
                None => (not_yet()),
            }
        }
        section aria-labelledby="ends" {
            h2 id="ends" { "If the group ends" }
            @match &terms.if_it_ends { Some(text) => p { (text) }, None => (not_yet()) }
        }
        footer {
            p {
                "Version " (agreement.version) "."
                @if let Some(updated_at) = agreement.updated_at { " Last changed on " (date_in_words(updated_at)) "." }
            }
        }
    };
    page("Our pooling agreement", body)
}
