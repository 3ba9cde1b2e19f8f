//! The packed form of a change, for the store's snapshot of the journal.
//!
//! A snapshot holds every change up to a journal row, so that a process loads a year of
//! appointments without reading millions of lines of JSON. It is [postcard]: a struct is its
//! fields in order, numbers are varints, instants are seconds and nanoseconds since the Unix
//! epoch, and enums keep the journal's slugs (so reordering a domain enum cannot change what a
//! snapshot means). Appointments and status changes, nearly every row of a busy book, are packed
//! field by field; any other change keeps its journal line as it is.
//!
//! The packed form is a cache of the journal, never the record: a snapshot written by a binary
//! with another [`PACKED_VERSION`] is ignored and the journal replayed instead. Change one of the
//! types below (or a leaf type's binary form in the parent module) only together with that
//! number. Every field is always written: postcard has no field names, so a skipped `Option`
//! would shift the fields after it (the JSON mirrors skip empty ones, which is why these types
//! are separate).

use caretime_core::id::AppointmentId;
use caretime_engine::book::{Appointment, Cancellation, Change};
use serde::{Deserialize, Serialize};

use super::{
    AppointmentWire, CancellationWire, Day, FreeKindWire, Instant, Lang, Named, OfferRecordWire,
    PreferencesWire, RequestWire, Status, WireError, decode_change,
};
use caretime_core::region::Modality;
use caretime_core::request::RequestKind;
use caretime_engine::find::Route;

/// The packed form's version, stored with every snapshot.
/// Version 2 added an appointment's `overbooks`.
pub(crate) const PACKED_VERSION: i64 = 2;

/// One change, packed.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Packed<'a>(#[serde(borrow)] Inner<'a>);

#[derive(Serialize, Deserialize)]
enum Inner<'a> {
    /// [`Change::Create`].
    Create(Box<PackedAppointment>),
    /// [`Change::SetStatus`].
    SetStatus {
        appointment: u32,
        from: Status,
        to: Status,
        cancellation: Option<CancellationWire>,
    },
    /// Any other change, as its journal line.
    Line(&'a str),
}

/// Packs `change`, whose journal line is `line`.
pub(crate) fn pack<'a>(change: &Change, line: &'a str) -> Packed<'a> {
    Packed(match change {
        Change::Create(appointment) => Inner::Create(Box::new(PackedAppointment::from(
            AppointmentWire::from(appointment.as_ref()),
        ))),
        Change::SetStatus {
            appointment,
            from,
            to,
            cancellation,
        } => Inner::SetStatus {
            appointment: appointment.0,
            from: Status(*from),
            to: Status(*to),
            cancellation: cancellation.as_ref().map(CancellationWire::from),
        },
        _ => Inner::Line(line),
    })
}

/// The change `packed` holds.
pub(crate) fn unpack(packed: Packed<'_>) -> Result<Change, WireError> {
    Ok(match packed.0 {
        Inner::Create(appointment) => Change::Create(Box::new(Appointment::from(
            AppointmentWire::from(*appointment),
        ))),
        Inner::SetStatus {
            appointment,
            from,
            to,
            cancellation,
        } => Change::SetStatus {
            appointment: AppointmentId(appointment),
            from: from.0,
            to: to.0,
            cancellation: cancellation.map(Cancellation::from),
        },
        Inner::Line(line) => decode_change(line)?,
    })
}

/// [`AppointmentWire`] with every field written.
#[derive(Serialize, Deserialize)]
pub(crate) struct PackedAppointment {
    id: u32,
    request: PackedRequest,
    deadline: Instant,
    offered: OfferRecordWire,
    clinician: u32,
    facility: u32,
    start: Instant,
    length: u32,
    time: FreeKindWire,
    modality: Named<Modality>,
    interpreter: Option<Lang>,
    route: Named<Route>,
    status: Status,
    expires: Option<Instant>,
    cancellation: Option<CancellationWire>,
    replaces: Option<u32>,
    overbooks: Option<u32>,
}

impl From<AppointmentWire> for PackedAppointment {
    fn from(wire: AppointmentWire) -> PackedAppointment {
        PackedAppointment {
            id: wire.id,
            request: wire.request.into(),
            deadline: wire.deadline,
            offered: wire.offered,
            clinician: wire.clinician,
            facility: wire.facility,
            start: wire.start,
            length: wire.length,
            time: wire.time,
            modality: wire.modality,
            interpreter: wire.interpreter,
            route: wire.route,
            status: wire.status,
            expires: wire.expires,
            cancellation: wire.cancellation,
            replaces: wire.replaces,
            overbooks: wire.overbooks,
        }
    }
}

impl From<PackedAppointment> for AppointmentWire {
    fn from(packed: PackedAppointment) -> AppointmentWire {
        AppointmentWire {
            id: packed.id,
            request: packed.request.into(),
            deadline: packed.deadline,
            offered: packed.offered,
            clinician: packed.clinician,
            facility: packed.facility,
            start: packed.start,
            length: packed.length,
            time: packed.time,
            modality: packed.modality,
            interpreter: packed.interpreter,
            route: packed.route,
            status: packed.status,
            expires: packed.expires,
            cancellation: packed.cancellation,
            replaces: packed.replaces,
            overbooks: packed.overbooks,
        }
    }
}

/// [`RequestWire`] with every field written.
#[derive(Serialize, Deserialize)]
struct PackedRequest {
    id: u32,
    member: u32,
    kind: Named<RequestKind>,
    requested: Instant,
    prior_appointment: Option<Instant>,
    clinical_exception: Option<Day>,
    treating_clinician: Option<u32>,
    preferences: Option<PreferencesWire>,
}

impl From<RequestWire> for PackedRequest {
    fn from(wire: RequestWire) -> PackedRequest {
        PackedRequest {
            id: wire.id,
            member: wire.member,
            kind: wire.kind,
            requested: wire.requested,
            prior_appointment: wire.prior_appointment,
            clinical_exception: wire.clinical_exception,
            treating_clinician: wire.treating_clinician,
            preferences: wire.preferences,
        }
    }
}

impl From<PackedRequest> for RequestWire {
    fn from(packed: PackedRequest) -> RequestWire {
        RequestWire {
            id: packed.id,
            member: packed.member,
            kind: packed.kind,
            requested: packed.requested,
            prior_appointment: packed.prior_appointment,
            clinical_exception: packed.clinical_exception,
            treating_clinician: packed.treating_clinician,
            preferences: packed.preferences,
        }
    }
}
