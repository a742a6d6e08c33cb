//! What each caller reads of an introduction and its trail (the rules are
//! `friends_domain::policy`; this applies them to a stored introduction).

use chrono::{DateTime, Utc};
use friends_domain::introduction::{IntroductionStatus, Member};
use friends_domain::person::Contact;
use friends_domain::policy::{
    Consent, Perspective, Relation, ShownStatus, hidden_from, relation, shown_consent, shown_status, shows_contacts,
    shows_notes,
};
use friends_store::{Store, StoredEvent, StoredIntroduction};
use serde::Serialize;
use uuid::Uuid;

/// The member a pair's `to` names.
const RECIPIENT: Member = match Member::at(1) {
    Some(member) => member,
    None => Member::REQUESTER,
};
use crate::auth::Caller;
use crate::errors::ApiError;

/// The contact details one person chose to share.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SharedContact {
    /// Whose.
    pub person_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Email, if they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, if they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// How they like to be contacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The current members' shared details (only in `introduced`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Contacts {
    /// The requester's (`null` once they have left).
    pub from: Option<SharedContact>,
    /// A pair's recipient's (`null` once they have left; absent for a
    /// group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Option<SharedContact>>,
    /// Every current member's but the requester's.
    pub members: Vec<SharedContact>,
}

/// A member other than the requester, as one caller sees them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberView {
    /// Who.
    pub person_id: Uuid,
    /// Their own answer (`null` where it would say who said no).
    pub consent: Option<Consent>,
    /// Brokers: when they left, if they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_at: Option<DateTime<Utc>>,
}

/// An introduction as one caller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct IntroductionView {
    /// Id.
    pub id: Uuid,
    /// Requester.
    pub from: Uuid,
    /// A pair's recipient (absent for a group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Uuid>,
    /// Everyone asked besides the requester (a pair's one, a group's 2 to
    /// 5). While introduced, a member reads the current members only.
    pub members: Vec<MemberView>,
    /// Status (the requester's side reads `not_going_ahead` for a no).
    pub status: ShownStatus,
    /// The requester's message (`null` if none, or erased).
    pub message: Option<String>,
    /// Why the pair was suggested.
    pub reasons: Vec<String>,
    /// The requester's own answer.
    pub requester_consent: Option<Consent>,
    /// A pair's recipient's own answer (`null` where it would say who
    /// said no; absent for a group, whose answers are in `members`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_consent: Option<Option<Consent>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it expires if nobody acts (`null` unless waiting).
    pub expires_at: Option<DateTime<Utc>>,
    /// Contact details, only once `introduced`, only for the two people,
    /// their supporters and brokers for the area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    /// Brokers: safeguarding flags on the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
    /// Brokers: the role of whoever created the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_role: Option<String>,
}

/// One event as one caller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Position in the trail.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (`not_going_ahead` where the requester's side may not
    /// know).
    pub action: String,
    /// Who (`null` for the service, or where hidden).
    pub actor: Option<Uuid>,
    /// In what role.
    pub actor_role: Option<String>,
    /// For whom.
    pub on_behalf_of: Option<Uuid>,
    /// Status before.
    pub from_status: Option<ShownStatus>,
    /// Status after.
    pub to_status: ShownStatus,
    /// Brokers only: a note or decline reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who helped a person answer (their own side and brokers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_by: Option<String>,
}

/// The view for `caller`, or `None` if they may not know it exists.
pub(super) async fn view(
    store: &Store,
    caller: &Caller,
    introduction: &StoredIntroduction,
) -> Result<Option<IntroductionView>, ApiError> {
    let Some(perspective) = perspective_of(caller, introduction) else { return Ok(None) };
    if perspective == Perspective::Admin {
        tracing::info!(admin = %caller.subject, introduction_id = %introduction.id, "admin access to an introduction");
    }
    Ok(Some(view_as(store, introduction, perspective, true).await?))
}

/// The introduction as `perspective` reads it. `caller_may_see_contacts`
/// is false only where the caller is not the perspective's own reader
/// (an admin exporting a person's data).
pub(super) async fn view_as(
    store: &Store,
    introduction: &StoredIntroduction,
    perspective: Perspective,
    caller_may_see_contacts: bool,
) -> Result<IntroductionView, ApiError> {
    let by = introduction.closed_by;
    let status = introduction.status;
    let members = introduction.members.len();
    let pair = members == 2;
    let viewer_left = match perspective {
        Perspective::Side(member) => introduction.member(member).is_none_or(|stored| stored.left_at.is_some()),
        Perspective::Broker | Perspective::Admin => false,
    };
    let contacts = if caller_may_see_contacts && shows_contacts(status, perspective, viewer_left) {
        // The current members only: nobody who left.
        let current: Vec<Uuid> =
            introduction.members.iter().filter(|member| member.left_at.is_none()).map(|member| member.person).collect();
        // Only current members are loaded, so whoever left has no contact.
        let people = store.people_by_ids(&current).await?;
        let shared = |id: Uuid| {
            people.iter().find(|person| person.id == id).map(|person| {
                let Contact { email, phone, note } = person.record.contact.clone();
                SharedContact { person_id: id, display_name: person.record.display_name.clone(), email, phone, note }
            })
        };
        let others = introduction.members.iter().skip(1).filter_map(|member| shared(member.person)).collect();
        Some(Contacts {
            from: shared(introduction.requester()),
            to: pair.then(|| introduction.person(RECIPIENT).and_then(shared)),
            members: others,
        })
    } else {
        None
    };
    let consent_of = |place: Member| {
        let consent = introduction.member(place).map_or(Consent::Awaiting, |member| member.consent);
        shown_consent(consent, place, status, by, perspective, members)
    };
    let broker = shows_notes(perspective);
    // While introduced, a member reads the current members (whoever ended
    // their part is gone, with their contacts). Otherwise everyone asked,
    // so that a withdrawal shows no more than a decline or an expiry.
    let current_only = !broker && status == IntroductionStatus::Introduced;
    let member_views = introduction
        .members
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, member)| !current_only || member.left_at.is_none())
        .filter_map(|(index, member)| {
            let place = Member::at(index)?;
            Some(MemberView {
                person_id: member.person,
                consent: consent_of(place),
                left_at: if broker { member.left_at } else { None },
            })
        })
        .collect();
    Ok(IntroductionView {
        id: introduction.id,
        from: introduction.requester(),
        to: pair.then(|| introduction.person(RECIPIENT)).flatten(),
        members: member_views,
        status: shown_status(status, by, perspective, members),
        message: introduction.message.clone(),
        reasons: introduction.reasons.clone(),
        requester_consent: consent_of(Member::REQUESTER),
        recipient_consent: pair.then(|| consent_of(RECIPIENT)),
        created_at: introduction.created_at,
        updated_at: introduction.updated_at,
        expires_at: introduction.expires_at(),
        contacts,
        flags: broker.then(|| introduction.flags.clone()),
        created_by_role: broker.then(|| introduction.created_by_role.clone()),
    })
}

/// An introduction and its trail, in an export.
#[derive(Debug, Serialize)]
pub struct ExportedIntroduction {
    /// As the person sees it.
    pub introduction: IntroductionView,
    /// Its events, as the person sees them.
    pub events: Vec<EventView>,
}

/// How `caller` sees `introduction`, or `None` if they may not know of it.
pub fn perspective_of(caller: &Caller, introduction: &StoredIntroduction) -> Option<Perspective> {
    let relation: Relation = relation(caller.actor(), &introduction.parties());
    relation.perspective(introduction.approved())
}

/// The member an event was taken for, if a member's side took it.
fn event_side(introduction: &StoredIntroduction, event: &StoredEvent) -> Option<Member> {
    event.actor.on_behalf_of.and_then(|person| introduction.place_of(person))
}

/// One event as `perspective` reads it.
pub fn event_view(introduction: &StoredIntroduction, event: &StoredEvent, perspective: Perspective) -> EventView {
    let side = event_side(introduction, event);
    let members = introduction.members.len();
    let hidden =
        matches!(perspective, Perspective::Side(viewer) if hidden_from(viewer, event.to_status, side, members));
    let own_side = matches!(perspective, Perspective::Side(party) if Some(party) == side);
    let broker = shows_notes(perspective);
    if hidden {
        return EventView {
            id: event.seq,
            at: event.at,
            action: "not_going_ahead".into(),
            actor: None,
            actor_role: None,
            on_behalf_of: None,
            // Where it came from would tell a broker's no from the other
            // person's (brokers decline only before approval).
            from_status: None,
            to_status: ShownStatus::NotGoingAhead,
            note: None,
            supported_by: None,
        };
    }
    EventView {
        id: event.seq,
        at: event.at,
        action: event.action.clone(),
        actor: event.actor.actor,
        actor_role: Some(event.actor.role.clone()),
        on_behalf_of: event.actor.on_behalf_of,
        from_status: event.from_status.map(|status| shown_status(status, side, perspective, members)),
        to_status: shown_status(event.to_status, side, perspective, members),
        note: if broker { event.note.clone() } else { None },
        supported_by: if broker || own_side { event.supported_by.clone() } else { None },
    }
}
