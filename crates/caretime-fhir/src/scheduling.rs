//! Scheduling: a [`Schedule`] (whose time: a clinician's, a location's) is cut into [`Slot`]s
//! (free, busy, ...); an [`Appointment`] books participants into slots; an
//! [`AppointmentResponse`] is one participant's answer to it.
//!
//! The statuses the server writes are enums: [`AppointmentStatus`], [`SlotStatus`],
//! [`ParticipationStatus`] and [`ParticipantRequired`]. Two of the spec's spellings surprise:
//! the status `noshow` (one word) and the field `cancelationReason` (one "l").
//!
//! caretime's own use: protected, meeting and break blocks are Slots with status
//! `busy-unavailable`, never Appointments; a `$hold` makes a `pending` Appointment and a
//! `busy-tentative` Slot.

use serde::{Deserialize, Serialize};

use crate::datatypes::{CodeableConcept, Extension, Identifier, Period, Reference};

codes! {
    /// `Appointment.status` (FHIR R4 value set `appointmentstatus`, required).
    pub enum AppointmentStatus {
        /// Some details are still to be settled; not yet booked (`$find` offers these).
        Proposed = "proposed",
        /// Some participants have not yet accepted (a `$hold`).
        Pending = "pending",
        /// Booked: every participant has accepted.
        Booked = "booked",
        /// The patient has arrived.
        Arrived = "arrived",
        /// It took place.
        Fulfilled = "fulfilled",
        /// Cancelled before it started.
        Cancelled = "cancelled",
        /// Some or all participants did not come (spelled `noshow`).
        NoShow = "noshow",
        /// Recorded in error; it never was.
        EnteredInError = "entered-in-error",
        /// The patient has checked in and waits.
        CheckedIn = "checked-in",
        /// On a waitlist for a date.
        Waitlist = "waitlist",
    }
}

codes! {
    /// `Slot.status` (FHIR R4 value set `slotstatus`, required).
    pub enum SlotStatus {
        /// Booked (or otherwise taken).
        Busy = "busy",
        /// Bookable.
        Free = "free",
        /// Not bookable: in caretime, protected, meeting and break time.
        BusyUnavailable = "busy-unavailable",
        /// Held for a booking not yet confirmed (a `$hold`).
        BusyTentative = "busy-tentative",
        /// Recorded in error; it never was.
        EnteredInError = "entered-in-error",
    }
}

codes! {
    /// A participant's answer (`Appointment.participant.status`,
    /// `AppointmentResponse.participantStatus`; value set `participationstatus`, required).
    pub enum ParticipationStatus {
        /// Will attend.
        Accepted = "accepted",
        /// Will not attend.
        Declined = "declined",
        /// May attend.
        Tentative = "tentative",
        /// Has not answered yet.
        NeedsAction = "needs-action",
    }
}

codes! {
    /// Whether the appointment needs the participant (`Appointment.participant.required`;
    /// value set `participantrequired`, required).
    pub enum ParticipantRequired {
        /// Cannot take place without them.
        Required = "required",
        /// May take place without them.
        Optional = "optional",
        /// Only told about it; not a participant in the meeting.
        InformationOnly = "information-only",
    }
}

resource! { domain
    /// Whose time can be booked, for which services, over which horizon: in caretime, one per
    /// clinician (or location).
    #[derive(Default)]
    pub struct Schedule {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Whether the schedule is in use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        /// Broad categories of the services.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_category: Vec<CodeableConcept>,
        /// Types of service bookable.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_type: Vec<CodeableConcept>,
        /// Specialties.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub specialty: Vec<CodeableConcept>,
        /// Whose time it is: Practitioner, PractitionerRole, Location, HealthcareService, ...
        /// (at least one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub actor: Vec<Reference>,
        /// The period the slots cover.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub planning_horizon: Option<Period>,
        /// Comments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub comment: Option<String>,
    }
}

impl Schedule {
    /// A schedule of one actor's time.
    pub fn new(actor: Reference) -> Schedule {
        Schedule {
            actor: vec![actor],
            ..Schedule::default()
        }
    }
}

resource! { domain
    /// A span of a schedule's time with a status (free, busy, ...).
    pub struct Slot {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Broad categories of the services bookable.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_category: Vec<CodeableConcept>,
        /// Types of service bookable.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_type: Vec<CodeableConcept>,
        /// Specialties.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub specialty: Vec<CodeableConcept>,
        /// The style of appointment bookable (e.g. follow-up).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub appointment_type: Option<CodeableConcept>,
        /// The Schedule it belongs to.
        pub schedule: Reference,
        /// Free, busy, ...
        pub status: SlotStatus,
        /// Start (an instant).
        pub start: String,
        /// End (an instant).
        pub end: String,
        /// Whether it has been booked beyond its capacity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub overbooked: Option<bool>,
        /// Comments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub comment: Option<String>,
    }
}

impl Slot {
    /// A slot of `schedule` from `start` to `end` (instants as FHIR writes them).
    pub fn new(
        schedule: Reference,
        status: SlotStatus,
        start: impl Into<String>,
        end: impl Into<String>,
    ) -> Slot {
        Slot {
            id: None,
            meta: None,
            implicit_rules: None,
            language: None,
            text: None,
            contained: Vec::new(),
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            identifier: Vec::new(),
            service_category: Vec::new(),
            service_type: Vec::new(),
            specialty: Vec::new(),
            appointment_type: None,
            schedule,
            status,
            start: start.into(),
            end: end.into(),
            overbooked: None,
            comment: None,
        }
    }
}

resource! { domain
    /// A booking of participants (patient, practitioner, location) for a time.
    pub struct Appointment {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Where it is in its life.
        pub status: AppointmentStatus,
        /// Why it was cancelled (spelled `cancelationReason`, one "l").
        #[serde(
            default,
            rename = "cancelationReason",
            skip_serializing_if = "Option::is_none"
        )]
        pub cancellation_reason: Option<CodeableConcept>,
        /// Broad categories of the service.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_category: Vec<CodeableConcept>,
        /// The service to be performed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_type: Vec<CodeableConcept>,
        /// Specialties of the practitioner needed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub specialty: Vec<CodeableConcept>,
        /// The style of appointment (e.g. `FOLLOWUP`, `ROUTINE`, `WALKIN`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub appointment_type: Option<CodeableConcept>,
        /// Reasons, coded.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub reason_code: Vec<CodeableConcept>,
        /// Reasons, as references to conditions, procedures, observations.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub reason_reference: Vec<Reference>,
        /// Priority: 0 undefined, 1 highest; the meaning of higher numbers is local.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority: Option<u32>,
        /// A short description, shown in lists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Other information for the appointment.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub supporting_information: Vec<Reference>,
        /// Start (an instant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start: Option<String>,
        /// End (an instant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end: Option<String>,
        /// Length in minutes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub minutes_duration: Option<u32>,
        /// The Slots it books.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub slot: Vec<Reference>,
        /// When it was first recorded (a dateTime).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created: Option<String>,
        /// Comments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub comment: Option<String>,
        /// Instructions for the patient.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub patient_instruction: Option<String>,
        /// The ServiceRequest it fulfils (e.g. a referral).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub based_on: Vec<Reference>,
        /// Who takes part (at least one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub participant: Vec<AppointmentParticipant>,
        /// Periods the patient asked for (for a `proposed` appointment).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub requested_period: Vec<Period>,
    }
}

impl Appointment {
    /// An appointment with its status and participants and nothing else.
    pub fn new(status: AppointmentStatus, participant: Vec<AppointmentParticipant>) -> Appointment {
        Appointment {
            id: None,
            meta: None,
            implicit_rules: None,
            language: None,
            text: None,
            contained: Vec::new(),
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            identifier: Vec::new(),
            status,
            cancellation_reason: None,
            service_category: Vec::new(),
            service_type: Vec::new(),
            specialty: Vec::new(),
            appointment_type: None,
            reason_code: Vec::new(),
            reason_reference: Vec::new(),
            priority: None,
            description: None,
            supporting_information: Vec::new(),
            start: None,
            end: None,
            minutes_duration: None,
            slot: Vec::new(),
            created: None,
            comment: None,
            patient_instruction: None,
            based_on: Vec::new(),
            participant,
            requested_period: Vec::new(),
        }
    }
}

/// One participant of an appointment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentParticipant {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The participant's role (e.g. `ATND` attender, `translator`).
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    /// Who: Patient, Practitioner, PractitionerRole, Location, HealthcareService, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Reference>,
    /// Whether the appointment needs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<ParticipantRequired>,
    /// Their answer.
    pub status: ParticipationStatus,
    /// When they take part, if not the whole appointment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

impl AppointmentParticipant {
    /// A participant with an answer and nothing else.
    pub fn new(actor: Reference, status: ParticipationStatus) -> AppointmentParticipant {
        AppointmentParticipant {
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            type_: Vec::new(),
            actor: Some(actor),
            required: None,
            status,
            period: None,
        }
    }
}

resource! { domain
    /// One participant's answer to an appointment (accept, decline, propose another time).
    pub struct AppointmentResponse {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// The Appointment answered.
        pub appointment: Reference,
        /// The start the participant proposes or accepts (an instant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start: Option<String>,
        /// The end the participant proposes or accepts (an instant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end: Option<String>,
        /// The participant's roles.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub participant_type: Vec<CodeableConcept>,
        /// Who answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub actor: Option<Reference>,
        /// The answer.
        pub participant_status: ParticipationStatus,
        /// Comments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub comment: Option<String>,
    }
}

/// The engine's statuses are FHIR's, less `checked-in` and `waitlist` (caretime's waitlist is a
/// queue of requests, not an appointment status).
impl From<caretime_engine::book::AppointmentStatus> for AppointmentStatus {
    fn from(status: caretime_engine::book::AppointmentStatus) -> AppointmentStatus {
        use caretime_engine::book::AppointmentStatus as Engine;
        match status {
            Engine::Proposed => AppointmentStatus::Proposed,
            Engine::Pending => AppointmentStatus::Pending,
            Engine::Booked => AppointmentStatus::Booked,
            Engine::Arrived => AppointmentStatus::Arrived,
            Engine::Fulfilled => AppointmentStatus::Fulfilled,
            Engine::Cancelled => AppointmentStatus::Cancelled,
            Engine::NoShow => AppointmentStatus::NoShow,
            Engine::EnteredInError => AppointmentStatus::EnteredInError,
        }
    }
}

/// The engine's status for a FHIR one; `checked-in` and `waitlist` have none and come back as
/// the error.
impl TryFrom<AppointmentStatus> for caretime_engine::book::AppointmentStatus {
    type Error = AppointmentStatus;

    fn try_from(status: AppointmentStatus) -> Result<Self, AppointmentStatus> {
        use caretime_engine::book::AppointmentStatus as Engine;
        match status {
            AppointmentStatus::Proposed => Ok(Engine::Proposed),
            AppointmentStatus::Pending => Ok(Engine::Pending),
            AppointmentStatus::Booked => Ok(Engine::Booked),
            AppointmentStatus::Arrived => Ok(Engine::Arrived),
            AppointmentStatus::Fulfilled => Ok(Engine::Fulfilled),
            AppointmentStatus::Cancelled => Ok(Engine::Cancelled),
            AppointmentStatus::NoShow => Ok(Engine::NoShow),
            AppointmentStatus::EnteredInError => Ok(Engine::EnteredInError),
            AppointmentStatus::CheckedIn | AppointmentStatus::Waitlist => Err(status),
        }
    }
}
