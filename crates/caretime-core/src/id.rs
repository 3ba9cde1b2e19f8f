//! Identifier newtypes: an id of one kind can never be passed where another is expected.
//!
//! Ids are dense internal surrogate keys (indexes into a region's tables), not the identifiers a
//! health plan shows its members: a member's plan number is PHI and lives in
//! [`crate::region::Member`], wrapped in [`crate::phi::Phi`].

use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
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
    };
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
