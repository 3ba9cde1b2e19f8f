//! Identifier newtypes: an id of one kind can never be passed where another is expected.
//!
//! Ids are dense internal surrogate keys (indexes into a region's tables), not the identifiers a
//! health plan shows its members: a member's plan number is PHI and lives in
//! [`crate::region::Member`], wrapped in [`crate::phi::Phi`].
//!
//! One spelling everywhere: an id is written with its kind (`clinician-7`, as `Display` writes
//! it), and read back from that or from the bare number (`7`), by the one parser here
//! ([`FromStr`], and `Deserialize` for data files, which also take the number as an integer).
//! Every flag and file that names an id goes through it.

use std::fmt;
use std::str::FromStr;

/// An id that is neither `N` nor `KIND-N` (with `N` a number up to 4,294,967,295). The message
/// does not repeat the text: a name typed where an id belongs is member data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a {kind} id: a number such as 7, or {kind}-7")]
pub struct IdError {
    /// The kind of id expected (`clinician`).
    pub kind: &'static str,
}

/// The number of `text`, spelled `N` or `{prefix}-N`; only ASCII digits (no sign, no spaces).
fn parse_id(prefix: &'static str, text: &str) -> Result<u32, IdError> {
    let digits = text
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(IdError { kind: prefix });
    }
    digits.parse().map_err(|_| IdError { kind: prefix })
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The kind of id, as its spelling starts (`clinician` in `clinician-7`).
            pub const KIND: &'static str = $prefix;

            /// The id as an index into the table that owns it.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "-{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// `7` or `clinician-7` (for a clinician id).
            fn from_str(text: &str) -> Result<Self, IdError> {
                parse_id($prefix, text).map($name)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// An integer (`7`) or a string in either spelling (`"7"`, `"clinician-7"`).
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(IdVisitor($prefix)).map($name)
            }
        }
    };
}

/// Reads an id's number from a data file: an integer, or a string in either spelling.
struct IdVisitor(&'static str);

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} id: a number such as 7, or \"{}-7\"",
            self.0, self.0
        )
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<u32, E> {
        u32::try_from(value).map_err(|_| E::custom(IdError { kind: self.0 }))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<u32, E> {
        u32::try_from(value).map_err(|_| E::custom(IdError { kind: self.0 }))
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<u32, E> {
        parse_id(self.0, text).map_err(E::custom)
    }
}

id_newtype!(
    /// A region: a service area with members, facilities, clinicians and a network.
    RegionId,
    "region"
);
id_newtype!(
    /// A facility (clinic, medical center, or a network provider's office).
    FacilityId,
    "facility"
);
id_newtype!(
    /// A clinician, internal or in the external network.
    ClinicianId,
    "clinician"
);
id_newtype!(
    /// A member of the plan (an internal surrogate key, not the member's plan number).
    MemberId,
    "member"
);
id_newtype!(
    /// An appointment request.
    RequestId,
    "request"
);
id_newtype!(
    /// A weekly template in a region's table of templates (clinicians with the same contract
    /// and FTE share one).
    TemplateId,
    "template"
);
id_newtype!(
    /// An appointment in a book.
    AppointmentId,
    "appointment"
);
id_newtype!(
    /// An episode: one course of treatment.
    EpisodeId,
    "episode"
);
id_newtype!(
    /// A recurring therapy group.
    GroupId,
    "group"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_back_from_its_display_and_from_its_number() {
        for number in [0, 7, 42, u32::MAX] {
            let id = ClinicianId(number);
            assert_eq!(id.to_string().parse(), Ok(id));
            assert_eq!(number.to_string().parse(), Ok(id));
        }
        let refused = [
            "",
            "clinician-",
            "member-7",
            "clinician7",
            "+7",
            " 7",
            "7 ",
            "-7",
            "4294967296",
            "Ana Park",
        ];
        for text in refused {
            assert_eq!(
                text.parse::<ClinicianId>(),
                Err(IdError { kind: "clinician" }),
                "{text:?}"
            );
        }
        assert_eq!(
            IdError { kind: "member" }.to_string(),
            "expected a member id: a number such as 7, or member-7"
        );
    }
}
