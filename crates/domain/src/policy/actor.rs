//! The caller as the rules see them ([`Actor`]), and the two ways a rule
//! says no ([`Refusal`]). Kept apart from the rules so that each rules
//! module depends on this one and nothing depends back.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a caller is (the `role` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A person managing their own profile.
    Member,
    /// Family, advocate or attorney acting for people in `acts_for`.
    Supporter,
    /// Council or user-led organisation staff for `authorities`.
    Broker,
    /// Operations: everything, audited.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [Self::Member, Self::Supporter, Self::Broker, Self::Admin];

    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Supporter => "supporter",
            Self::Broker => "broker",
            Self::Admin => "admin",
        }
    }
}

/// An authenticated caller, as far as these rules need.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Role claim.
    pub role: Role,
    /// `sub`.
    pub subject: Uuid,
    /// Supporters: the people they act for.
    pub acts_for: &'a [Uuid],
    /// Brokers: the authorities they cover.
    pub authorities: &'a [String],
}

impl Actor<'_> {
    /// Whether a broker's authorities include `authority`.
    pub fn covers(&self, authority: &str) -> bool {
        self.authorities.iter().any(|code| code == authority)
    }

    /// Whether the caller may manage `person` whatever their area: `None`
    /// for a broker, whose right follows the person's area.
    pub fn manages_anywhere(&self, person: Uuid) -> Option<bool> {
        match self.role {
            Role::Member => Some(self.subject == person),
            Role::Supporter => Some(self.acts_for.contains(&person)),
            Role::Broker => None,
            Role::Admin => Some(true),
        }
    }

    /// Whether the caller may read and change the profile of `person`,
    /// whose district lies in `authority`.
    pub fn may_manage(&self, person: Uuid, authority: &str) -> bool {
        self.manages_anywhere(person).unwrap_or_else(|| self.covers(authority))
    }
}

/// What a caller who may see something may still not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// Review and the queue are for brokers (for the area).
    BrokerOnly,
    /// Only the person themselves consents.
    ConsentMustBePersonal,
    /// Only members, or their supporters, leave.
    MembersOnly,
    /// The caller's role never does this (admins asking or reporting).
    RoleNotAllowed,
    /// A broker outside their authorities.
    OutsideAuthority,
    /// A member without a profile searching around it.
    ProfileRequired,
    /// Admin operations (embed keys).
    AdminOnly,
}

/// Why a rule said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not know it exists.
    NotFound,
    /// The caller may see it but not do this.
    Forbidden(Forbidden),
}
