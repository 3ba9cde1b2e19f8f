//! The IHE ITI Scheduling operations: `Appointment/$find` (ITI-115), `$hold` (ITI-116) and
//! `$book` (ITI-117: book, confirm a hold, cancel), with Argonaut's spellings of their
//! parameters (`appt-id`, `appt-resource`).
//!
//! `$book` also reschedules: a proposal with Argonaut's `cancelled-appt-id` (or ITI-117's modify,
//! an `appointment-resource` with status `booked` and a new start or practitioner) books the new
//! time and cancels the old appointment (reason `rescheduled`) in one decision, for the same
//! request. `PATCH /Appointment/{id}` with a JSON Patch that replaces `/status` with `cancelled`
//! is Argonaut's cancel.
//!
//! `$find` runs the engine's find for the member's request and answers its offers, ranked as
//! the engine ranks them, as `proposed` Appointments. A proposal is not stored: its id spells
//! what booking it needs (`p.<member>.<kind>.<clinician>.<start>.<requested>`, instants as Unix
//! seconds), so `$book` with `appointment-reference` = `Appointment/<that id>` decides the
//! booking again on the book as it is then, through the store's transaction. A time taken
//! meanwhile is `409` with an OperationOutcome `conflict`.
//!
//! Request kinds come from `visit-type`: a code (in any system) that is one of caretime's request
//! kinds (`initial`, `follow-up`, `urgent`, ...; `caretime rules show` lists them per rule set).
//! Each proposed Appointment carries two extensions:
//! - `https://caretime.dev/fhir/StructureDefinition/route`: `valueCode` continuity, internal,
//!   network or out-of-network;
//! - `https://caretime.dev/fhir/StructureDefinition/timeliness`: `status` (`met` or `late`),
//!   `businessDaysLate` (when late), `deadline` (an instant), `ruleSet` and `rule` (the
//!   timely-access rule the deadline comes from).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use caretime_core::id::AppointmentId;
use caretime_core::id::{ClinicianId, FacilityId, MemberId};
use caretime_core::id::{EpisodeId, RequestId};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_engine::book::{
    Book, CancellationReason, CancelledBy, Change, Choice, Outcome, Refusal, Take,
};
use caretime_engine::episode::FollowUpError;
use caretime_engine::find::{Offer, Offers, Timeliness};
use caretime_fhir::Resource;
use caretime_fhir::bundle::{Bundle, BundleEntry};
use caretime_fhir::datatypes::{CodeableConcept, Coding, Extension, Reference};
use caretime_fhir::parameters::{ParameterValue, Parameters};
use caretime_fhir::scheduling::{
    Appointment, AppointmentParticipant, AppointmentStatus, ParticipationStatus,
};
use caretime_store::AuditEvent;
use caretime_store::live::Decision;
use caretime_store::shared::SharedError;
use jiff::Timestamp;

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::rest::fhir;
use crate::search::reference_id;

/// Proposals `$find` answers unless `_count` says otherwise, and at most.
const DEFAULT_COUNT: usize = 10;
const MAX_COUNT: usize = 100;

const ROUTE_URL: &str = "https://caretime.dev/fhir/StructureDefinition/route";
/// The code system of `cancelationReason`: caretime's cancellation reasons.
pub(crate) const CANCELLATION_SYSTEM: &str =
    "https://caretime.dev/fhir/CodeSystem/cancellation-reason";
const TIMELINESS_URL: &str = "https://caretime.dev/fhir/StructureDefinition/timeliness";

/// The operation routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/Appointment/$find", post(find))
        .route("/Appointment/$hold", post(hold))
        .route("/Appointment/$book", post(book))
        .route("/Appointment/{id}", patch(cancel_by_patch))
}

/// The body as FHIR Parameters (any other body is 400).
fn parameters(body: &str) -> Result<Parameters, ApiError> {
    caretime_fhir::parse::<Parameters>(body)
        .map_err(|error| ApiError::Invalid(format!("the body is not FHIR Parameters: {error}")))
}

/// The first of `names` given, as text (a string, code, URI, reference or coding's code).
fn text_of<'a>(parameters: &'a Parameters, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        let value = parameters.get(name)?.value.as_ref()?;
        match value {
            ParameterValue::Reference(reference) => reference.reference.as_deref(),
            ParameterValue::Coding(coding) => coding.code.as_deref(),
            ParameterValue::CodeableConcept(concept) => concept
                .coding
                .iter()
                .find_map(|coding| coding.code.as_deref()),
            other => other.as_str(),
        }
    })
}

fn instant(text: &str, parameter: &str) -> Result<Timestamp, ApiError> {
    text.parse::<Timestamp>().or_else(|_| {
        text.parse::<jiff::civil::Date>()
            .map_err(|_| ApiError::Invalid(format!("{parameter} is not a date or an instant")))
            .and_then(|date| {
                date.to_zoned(jiff::tz::TimeZone::UTC)
                    .map(|zoned| zoned.timestamp())
                    .map_err(|_| ApiError::Invalid(format!("{parameter} is out of range")))
            })
    })
}

fn request_kind(code: &str) -> Result<RequestKind, ApiError> {
    RequestKind::from_slug(code).ok_or_else(|| {
        ApiError::Invalid(format!(
            "visit-type must be one of {}",
            RequestKind::names()
        ))
    })
}

/// What a proposal's id spells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Proposal {
    member: MemberId,
    kind: RequestKind,
    clinician: ClinicianId,
    start: Timestamp,
    requested: Timestamp,
}

impl Proposal {
    fn id(&self) -> String {
        format!(
            "p.{}.{}.{}.{}.{}",
            self.member.0,
            self.kind.slug(),
            self.clinician.0,
            self.start.as_second(),
            self.requested.as_second()
        )
    }

    fn parse(id: &str) -> Option<Proposal> {
        let mut parts = id.strip_prefix("p.")?.split('.');
        let member = MemberId(parts.next()?.parse().ok()?);
        let kind = RequestKind::from_slug(parts.next()?)?;
        let clinician = ClinicianId(parts.next()?.parse().ok()?);
        let start = Timestamp::from_second(parts.next()?.parse().ok()?).ok()?;
        let requested = Timestamp::from_second(parts.next()?.parse().ok()?).ok()?;
        parts.next().is_none().then_some(Proposal {
            member,
            kind,
            clinician,
            start,
            requested,
        })
    }
}

/// What a proposal asks the engine: the request, the earliest start to look from, and the
/// episode a booking joins.
struct Asked {
    request: Request,
    not_before: Timestamp,
    episode: Option<EpisodeId>,
}

/// The request a proposal stands for. A follow-up of a member in an open episode goes to the
/// treating clinician first (continuity), at the clinician's cadence from the latest session
/// and counted from it (SB 221), with the member's days and times from the episode; a booking
/// joins the episode. Any other request starts its clock at `proposal.requested`, without
/// continuity.
fn asked(
    book: &Book,
    rules: &RuleSet,
    id: RequestId,
    proposal: &Proposal,
) -> Result<Asked, FollowUpError> {
    if proposal.kind == RequestKind::FollowUp
        && let Some(episode) = book.open_episode_of(proposal.member)
        && let Some(follow_up) = book.next_follow_up(episode.id, id, rules, proposal.requested)?
    {
        return Ok(Asked {
            request: follow_up.request,
            not_before: follow_up.not_before,
            episode: Some(episode.id),
        });
    }
    Ok(Asked {
        request: Request {
            id,
            member: proposal.member,
            kind: proposal.kind,
            requested: proposal.requested,
            prior_appointment: None,
            clinical_exception: None,
            treating_clinician: None,
            preferences: Preferences::ANY,
        },
        not_before: proposal.requested,
        episode: None,
    })
}

fn participants(
    member: MemberId,
    clinician: ClinicianId,
    facility: FacilityId,
    status: ParticipationStatus,
) -> Vec<AppointmentParticipant> {
    vec![
        AppointmentParticipant::new(Reference::new(format!("Patient/{}", member.0)), status),
        AppointmentParticipant::new(
            Reference::new(format!("Practitioner/{}", clinician.0)),
            ParticipationStatus::Accepted,
        ),
        AppointmentParticipant::new(
            Reference::new(format!("Location/{}", facility.0)),
            ParticipationStatus::Accepted,
        ),
    ]
}

fn proposed(offer: &Offer, offers: &Offers<'_>, proposal: &Proposal) -> Appointment {
    let end = offer.start + jiff::SignedDuration::from_mins(i64::from(offer.length));
    let mut timeliness = vec![
        Extension::with_value(
            "status",
            "valueCode",
            match offer.timeliness {
                Timeliness::Met => "met",
                Timeliness::Late { .. } => "late",
            },
        ),
        Extension::with_value("deadline", "valueInstant", offers.deadline.to_string()),
        Extension::with_value("ruleSet", "valueString", offers.rule_set),
        Extension::with_value("rule", "valueString", offers.rule),
    ];
    if let Timeliness::Late { business_days } = offer.timeliness {
        timeliness.insert(
            1,
            Extension::with_value("businessDaysLate", "valueInteger", business_days),
        );
    }
    let mut nested = serde_json::Map::new();
    nested.insert(
        "extension".to_owned(),
        serde_json::to_value(&timeliness).unwrap_or_default(),
    );
    Appointment {
        id: Some(proposal.id()),
        start: Some(offer.start.to_string()),
        end: Some(end.to_string()),
        minutes_duration: Some(offer.length),
        extension: vec![
            Extension::with_value(ROUTE_URL, "valueCode", offer.route.slug()),
            Extension {
                url: TIMELINESS_URL.to_owned(),
                content: nested,
            },
        ],
        ..Appointment::new(
            AppointmentStatus::Proposed,
            participants(
                proposal.member,
                offer.clinician,
                offer.facility,
                ParticipationStatus::NeedsAction,
            ),
        )
    }
}

const BOOKERS: [Role; 1] = [Role::Scheduler];

/// The `$find` parameters this server reads (IHE ITI-115's, and Argonaut's `patient`). The
/// others ITI-115 defines (`specialty`, `location-reference`, `organization`, ...) are refused
/// rather than ignored.
const FIND_PARAMETERS: [&str; 7] = [
    "patient-reference",
    "patient",
    "visit-type",
    "start",
    "end",
    "practitioner",
    "_count",
];

/// `POST /Appointment/$find`.
async fn find(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<Response, ApiError> {
    caller.require(&state, &BOOKERS, "appointment").await?;
    let parameters = parameters(&body)?;
    // A filter this server would ignore must not look applied: it is refused, by name.
    if let Some(unsupported) = parameters
        .parameter
        .iter()
        .find(|parameter| !FIND_PARAMETERS.contains(&parameter.name.as_str()))
    {
        return Err(ApiError::Invalid(format!(
            "$find does not support the parameter `{}`; it takes {}",
            unsupported.name,
            FIND_PARAMETERS.join(", ")
        )));
    }
    let member = text_of(&parameters, &["patient-reference", "patient"])
        .ok_or_else(|| ApiError::Invalid("patient-reference (Patient/ID) is required".into()))?;
    let member = MemberId(reference_id(member, "Patient", "patient-reference")?);
    let kind = request_kind(
        text_of(&parameters, &["visit-type"])
            .ok_or_else(|| ApiError::Invalid("visit-type (a request kind) is required".into()))?,
    )?;
    let now = state.clock.now();
    let from = text_of(&parameters, &["start"])
        .map(|t| instant(t, "start"))
        .transpose()?;
    let until = text_of(&parameters, &["end"])
        .map(|t| instant(t, "end"))
        .transpose()?;
    let practitioner = text_of(&parameters, &["practitioner"])
        .map(|t| reference_id(t, "Practitioner", "practitioner").map(ClinicianId))
        .transpose()?;
    let count = match parameters.get("_count").and_then(|p| p.value.as_ref()) {
        None => DEFAULT_COUNT,
        Some(ParameterValue::Integer(n)) if (1..=MAX_COUNT as i32).contains(n) => *n as usize,
        Some(ParameterValue::PositiveInt(n)) if (1..=MAX_COUNT as u32).contains(n) => *n as usize,
        Some(_) => {
            return Err(ApiError::Invalid(format!(
                "_count is between 1 and {MAX_COUNT}"
            )));
        }
    };
    let audit_id = member.0.to_string();
    // A search for free time: it may see a batch's bookings before they commit (a time shown
    // taken a moment early), never miss one committed before it arrived.
    let found = state
        .book
        .read_ahead(now, move |ctx| {
            if member.0 as usize >= ctx.region.members.len() {
                return Err(ApiError::NotFound(format!(
                    "there is no Patient {}",
                    member.0
                )));
            }
            let proposal_base = Proposal {
                member,
                kind,
                clinician: ClinicianId(0),
                start: now,
                requested: now,
            };
            let asked = asked(ctx.book, ctx.rules, ctx.next_request, &proposal_base)
                .map_err(|error| ApiError::Invalid(error.to_string()))?;
            // `start` bounds the search itself: offers from then on, not a filter of the
            // earliest ones.
            let not_before = from.map_or(asked.not_before, |from| from.max(asked.not_before));
            let offers = ctx
                .book
                .find_from(ctx.region, ctx.rules, &asked.request, not_before, now)
                .map_err(|error| ApiError::Invalid(error.to_string()))?;
            let matching: Vec<Appointment> = offers
                .offers
                .iter()
                .filter(|offer| from.is_none_or(|from| offer.start >= from))
                .filter(|offer| until.is_none_or(|until| offer.start < until))
                .filter(|offer| practitioner.is_none_or(|c| offer.clinician == c))
                .map(|offer| {
                    let proposal = Proposal {
                        clinician: offer.clinician,
                        start: offer.start,
                        ..proposal_base
                    };
                    proposed(offer, &offers, &proposal)
                })
                .collect();
            Ok(matching)
        })
        .await??;
    caller
        .audit_read(&state, now, "member", Some(audit_id), "ok")
        .await?;
    let total = found.len();
    let entries = found
        .into_iter()
        .take(count)
        .map(|appointment| {
            let url = format!("Appointment/{}", appointment.id.clone().unwrap_or_default());
            BundleEntry::matched(url, appointment)
        })
        .collect();
    Ok(fhir(&Bundle::searchset(
        u32::try_from(total).unwrap_or(u32::MAX),
        "Appointment/$find",
        entries,
    )))
}

/// What `appointment-reference` names: a proposal `$find` answered, or a stored appointment.
#[derive(Clone, Copy, Debug)]
enum Target {
    Proposal(Proposal),
    Stored(AppointmentId),
}

fn target(parameters: &Parameters) -> Result<Target, ApiError> {
    let reference =
        text_of(parameters, &["appointment-reference", "appt-id"]).ok_or_else(|| {
            ApiError::Invalid(
                "appointment-reference (an Appointment from $find or $hold) is required".into(),
            )
        })?;
    let id = reference.strip_prefix("Appointment/").unwrap_or(reference);
    if let Some(proposal) = Proposal::parse(id) {
        return Ok(Target::Proposal(proposal));
    }
    id.parse()
        .map(|id| Target::Stored(AppointmentId(id)))
        .map_err(|_| {
            ApiError::Invalid(
                "appointment-reference names neither a proposal from $find nor an appointment"
                    .into(),
            )
        })
}

/// `POST /Appointment/$hold` (ITI-116): a proposal held as a `pending` Appointment until the
/// time in the `Expires` header.
async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<Response, ApiError> {
    caller.require(&state, &BOOKERS, "appointment").await?;
    let Target::Proposal(proposal) = target(&parameters(&body)?)? else {
        return Err(ApiError::Invalid(
            "$hold takes a proposal from $find (appointment-reference)".into(),
        ));
    };
    take(&state, &caller, proposal, Take::Hold).await
}

/// `POST /Appointment/$book` (ITI-117): books a proposal (`appointment-reference` from
/// `$find`), confirms a hold (`appointment-reference` = a pending Appointment), or cancels
/// (`appointment-resource`: the Appointment with status `cancelled` and a `cancelationReason`
/// coded as one of caretime's cancellation reasons; `member-request` when none is given).
async fn book(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<Response, ApiError> {
    caller.require(&state, &BOOKERS, "appointment").await?;
    let parameters = parameters(&body)?;
    if let Some(resource) = parameters
        .get("appointment-resource")
        .or_else(|| parameters.get("appt-resource"))
        .and_then(|parameter| parameter.resource.as_ref())
    {
        let Resource::Appointment(appointment) = resource else {
            return Err(ApiError::Invalid(
                "appointment-resource must be an Appointment".into(),
            ));
        };
        let what = match appointment.status {
            AppointmentStatus::Cancelled => "cancel",
            AppointmentStatus::Booked => "modify",
            _ => {
                return Err(ApiError::Invalid(
                    "an appointment-resource cancels (status cancelled) or modifies (status \
                     booked) a stored Appointment"
                        .into(),
                ));
            }
        };
        let id = appointment
            .id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .map(AppointmentId)
            .ok_or_else(|| ApiError::Invalid(format!("the Appointment to {what} needs its id")))?;
        if appointment.status == AppointmentStatus::Booked {
            return modify(&state, &caller, id, appointment).await;
        }
        let reason = cancellation_reason(appointment.cancellation_reason.as_ref())?;
        return cancel(&state, &caller, id, reason, "Appointment/$book").await;
    }
    let cancelled = text_of(&parameters, &["cancelled-appt-id"])
        .map(|text| reference_id(text, "Appointment", "cancelled-appt-id").map(AppointmentId))
        .transpose()?;
    match target(&parameters)? {
        Target::Proposal(proposal) => match cancelled {
            Some(old) => reschedule(&state, &caller, proposal, old).await,
            None => take(&state, &caller, proposal, Take::Book).await,
        },
        Target::Stored(_) if cancelled.is_some() => Err(ApiError::Invalid(
            "cancelled-appt-id reschedules to a proposal from $find, not to a stored appointment"
                .into(),
        )),
        Target::Stored(id) => {
            let now = state.clock.now();
            let decision = state
                .book
                .decide(now, caller.actor(), change_audit(id), move |ctx| {
                    Ok(ctx.book.decide_confirm(id, now))
                })
                .await
                .map_err(|error| ApiError::Internal(format!("the booking failed: {error}")))?;
            answer(&state, decision, Some(id), "Appointment/$book", now).await
        }
    }
}

fn change_audit(id: AppointmentId) -> AuditEvent {
    AuditEvent {
        action: "update",
        entity: "appointment",
        entity_id: Some(id.0.to_string()),
        outcome: "ok",
    }
}

/// The engine's cancellation reason for a FHIR `cancelationReason` (`member-request` when none
/// is given), and who cancels for that reason.
fn cancellation_reason(concept: Option<&CodeableConcept>) -> Result<CancellationReason, ApiError> {
    let code = concept.and_then(|reason| reason.coding.iter().find_map(|c| c.code.as_deref()));
    match code {
        None => Ok(CancellationReason::MemberRequest),
        Some(code) => CancellationReason::from_slug(code).ok_or_else(|| {
            ApiError::Invalid(format!(
                "cancelationReason must be one of {}",
                CancellationReason::names()
            ))
        }),
    }
}

/// Cancels a stored appointment; the time goes back to the clinician.
async fn cancel(
    state: &AppState,
    caller: &Caller,
    id: AppointmentId,
    reason: CancellationReason,
    operation: &str,
) -> Result<Response, ApiError> {
    let by = match reason {
        CancellationReason::MemberRequest
        | CancellationReason::Other
        | CancellationReason::Rescheduled => CancelledBy::Member,
        _ => CancelledBy::Plan,
    };
    let now = state.clock.now();
    let decision = state
        .book
        .decide(now, caller.actor(), change_audit(id), move |ctx| {
            Ok(ctx.book.decide_cancel(id, reason, by, now))
        })
        .await
        .map_err(|error| ApiError::Internal(format!("the cancellation failed: {error}")))?;
    answer(state, decision, Some(id), operation, now).await
}

/// `$book` of an Appointment with status `booked` (ITI-117 "modify"): the stored appointment
/// moved to the resource's start and practitioner, as a reschedule of the same request. A
/// resource that changes neither answers the appointment as it stands.
async fn modify(
    state: &AppState,
    caller: &Caller,
    id: AppointmentId,
    resource: &Appointment,
) -> Result<Response, ApiError> {
    let start = resource
        .start
        .as_deref()
        .ok_or_else(|| ApiError::Invalid("the Appointment to modify needs its start".into()))
        .and_then(|start| instant(start, "start"))?;
    let practitioner = resource
        .participant
        .iter()
        .filter_map(|participant| participant.actor.as_ref()?.reference.as_deref())
        .find(|reference| reference.starts_with("Practitioner/"))
        .map(|reference| reference_id(reference, "Practitioner", "participant").map(ClinicianId))
        .transpose()?;
    let now = state.clock.now();
    let stored = state
        .book
        .read(now, move |ctx| ctx.book.appointment(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no Appointment {}", id.0)))?;
    let clinician = practitioner.unwrap_or(stored.clinician);
    if start == stored.start && clinician == stored.clinician {
        return Ok(unchanged(&stored));
    }
    let proposal = Proposal {
        member: stored.request.member,
        kind: stored.request.kind,
        clinician,
        start,
        requested: now,
    };
    reschedule(state, caller, proposal, id).await
}

/// The answer to a `$book` that changes nothing: the appointment as it stands.
fn unchanged(appointment: &caretime_engine::book::Appointment) -> Response {
    fhir(&Bundle::searchset(
        1,
        "Appointment/$book",
        vec![BundleEntry::matched(
            format!("Appointment/{}", appointment.id.0),
            stored(appointment),
        )],
    ))
}

/// A reschedule whose two appointments are not the same member's.
#[derive(Debug, thiserror::Error)]
#[error("cancelled-appt-id names an appointment of another patient than the proposal")]
struct OtherMember;

/// A reschedule to a proposal of another kind of visit than the appointment it replaces.
#[derive(Debug, thiserror::Error)]
#[error("a reschedule keeps the visit-type of the appointment it replaces")]
struct OtherKind;

/// Reschedules (Argonaut's `cancelled-appt-id`, and ITI-117's modify): books `proposal` for the
/// request `old` answered and cancels `old` (reason `rescheduled`, by the member), in one
/// decision: both or neither. The request keeps its id and the time it was made, so its
/// timeliness is still measured from then; the new appointment records that it replaces `old`.
/// The new time must be free while `old` still holds its own: a move by less than the
/// appointment's length at the same clinician is refused. The new appointment joins the old
/// one's episode.
async fn reschedule(
    state: &AppState,
    caller: &Caller,
    proposal: Proposal,
    old: AppointmentId,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let decision = state
        .book
        .decide(now, caller.actor(), change_audit(old), move |ctx| {
            if proposal.clinician.0 as usize >= ctx.region.clinicians.len() {
                return Err(Box::new(NotInRegion));
            }
            let Some(replaced) = ctx.book.appointment(old) else {
                return Ok(Outcome::Refused(vec![Refusal::UnknownAppointment(old)]));
            };
            if replaced.request.member != proposal.member {
                return Err(Box::new(OtherMember));
            }
            if replaced.request.kind != proposal.kind {
                return Err(Box::new(OtherKind));
            }
            let cancel = ctx.book.decide_cancel(
                old,
                CancellationReason::Rescheduled,
                CancelledBy::Member,
                now,
            );
            let Outcome::Accepted(mut changes) = cancel else {
                return Ok(cancel);
            };
            let choice = Choice {
                clinician: proposal.clinician,
                start: proposal.start,
            };
            let booked = ctx.book.decide_request(
                ctx.region,
                ctx.rules,
                &replaced.request,
                Some(choice),
                Take::Book,
                now,
            )?;
            match booked.map(|outcome| joined(outcome, ctx.book.episode_of(old))) {
                Some(Outcome::Accepted(taken)) => {
                    for mut change in taken {
                        if let Change::Create(appointment) = &mut change {
                            appointment.replaces = Some(old);
                        }
                        changes.push(change);
                    }
                    Ok(Outcome::Accepted(changes))
                }
                Some(refused) => Ok(refused),
                None => Ok(not_free(&proposal)),
            }
        })
        .await
        .map_err(|error| decision_error(error, "the reschedule"))?;
    answer(state, decision, None, "Appointment/$book", now).await
}

/// `PATCH /Appointment/{id}` (Argonaut Scheduling's cancel): a JSON Patch
/// (`application/json-patch+json`) that replaces `/status` with `cancelled`, and may add or
/// replace `/cancelationReason`. Any other change is refused (422): bookings and moves go
/// through `$book`.
async fn cancel_by_patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    caller.require(&state, &BOOKERS, "appointment").await?;
    let id = AppointmentId(
        id.parse()
            .map_err(|_| ApiError::Invalid("an Appointment id is a number".into()))?,
    );
    let operations: Vec<PatchOperation> = serde_json::from_str(&body).map_err(|error| {
        ApiError::Invalid(format!("the body is not a JSON Patch document: {error}"))
    })?;
    let mut cancels = false;
    let mut reason = None;
    for operation in &operations {
        match (operation.op.as_str(), operation.path.as_str()) {
            ("replace", "/status") => {
                if operation.value.as_ref().and_then(serde_json::Value::as_str) != Some("cancelled")
                {
                    return Err(ApiError::Refused(
                        "PATCH only cancels: /status may only become cancelled".into(),
                    ));
                }
                cancels = true;
            }
            ("add" | "replace", "/cancelationReason") => {
                let value = operation.value.clone().unwrap_or_default();
                reason = Some(serde_json::from_value::<CodeableConcept>(value).map_err(
                    |error| {
                        ApiError::Invalid(format!(
                            "/cancelationReason is not a CodeableConcept: {error}"
                        ))
                    },
                )?);
            }
            _ => {
                return Err(ApiError::Refused(
                    "PATCH only cancels: replace /status with cancelled, optionally with \
                     /cancelationReason; book and move through $book"
                        .into(),
                ));
            }
        }
    }
    if !cancels {
        return Err(ApiError::Refused(
            "PATCH only cancels: replace /status with cancelled".into(),
        ));
    }
    let reason = cancellation_reason(reason.as_ref())?;
    cancel(&state, &caller, id, reason, "Appointment").await
}

/// One operation of a JSON Patch (RFC 6902).
#[derive(Debug, serde::Deserialize)]
struct PatchOperation {
    op: String,
    path: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

/// The refusal of a proposal's time when nobody can see the member at all.
fn not_free(proposal: &Proposal) -> Outcome {
    Outcome::Refused(vec![Refusal::NotFree {
        clinician: proposal.clinician,
        start: proposal.start,
    }])
}

/// What a failed decision answers: a proposal naming what the region lacks is 404, a
/// reschedule that mixes members or visit types 400, anything else 500 (`what` failed).
fn decision_error(error: SharedError, what: &str) -> ApiError {
    match error {
        SharedError::Decide(error) if error.is::<NotInRegion>() => {
            ApiError::NotFound(error.to_string())
        }
        SharedError::Decide(error) if error.is::<OtherMember>() || error.is::<OtherKind>() => {
            ApiError::Invalid(error.to_string())
        }
        error => ApiError::Internal(format!("{what} failed: {error}")),
    }
}

/// A proposal that names a patient or practitioner the region does not have (checked inside
/// the decision, which reads the book anyway).
#[derive(Debug, thiserror::Error)]
#[error("the proposal names a patient or practitioner this server does not have")]
struct NotInRegion;

/// Holds or books a proposal, deciding it again on the book as it is now.
async fn take(
    state: &AppState,
    caller: &Caller,
    proposal: Proposal,
    take: Take,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let decision = state
        .book
        .decide(
            now,
            caller.actor(),
            AuditEvent {
                action: "create",
                entity: "appointment",
                entity_id: None,
                outcome: "ok",
            },
            move |ctx| {
                if proposal.member.0 as usize >= ctx.region.members.len()
                    || proposal.clinician.0 as usize >= ctx.region.clinicians.len()
                {
                    return Err(Box::new(NotInRegion));
                }
                let asked = asked(ctx.book, ctx.rules, ctx.next_request, &proposal)?;
                let choice = Choice {
                    clinician: proposal.clinician,
                    start: proposal.start,
                };
                let outcome = ctx.book.decide_request(
                    ctx.region,
                    ctx.rules,
                    &asked.request,
                    Some(choice),
                    take,
                    now,
                )?;
                Ok(outcome
                    .map(|outcome| joined(outcome, asked.episode))
                    .unwrap_or_else(|| not_free(&proposal)))
            },
        )
        .await
        .map_err(|error| decision_error(error, "the booking"))?;
    let operation = match take {
        Take::Hold => "Appointment/$hold",
        _ => "Appointment/$book",
    };
    answer(state, decision, None, operation, now).await
}

/// `outcome` with its new appointment attached to `episode`, when there is one.
fn joined(outcome: Outcome, episode: Option<EpisodeId>) -> Outcome {
    match (outcome, episode) {
        (Outcome::Accepted(mut changes), Some(episode)) => {
            let created = changes.iter().find_map(|change| match change {
                Change::Create(appointment) => Some(appointment.id),
                _ => None,
            });
            if let Some(appointment) = created {
                changes.push(Change::Attach {
                    episode,
                    appointment,
                });
            }
            Outcome::Accepted(changes)
        }
        (outcome, _) => outcome,
    }
}

/// The answer to a committed or refused decision: a Bundle with the appointment as it now
/// stands (and, for a hold, its expiry in `Expires`), or the refusal as an OperationOutcome.
async fn answer(
    state: &AppState,
    decision: Decision,
    id: Option<AppointmentId>,
    operation: &str,
    now: Timestamp,
) -> Result<Response, ApiError> {
    let outcome = match &decision {
        Decision::Committed { .. } => "committed",
        Decision::Conflict(_) => "conflict",
        Decision::Refused(_) => "refused",
    };
    state.metrics.decision(operation, outcome);
    let refusals = match decision {
        Decision::Committed { changes, .. } => {
            // A booking or hold carries its new appointment; a confirmation or cancellation only
            // its change of status, so the appointment is read back as it now stands.
            let created = changes.into_iter().find_map(|change| match change {
                Change::Create(appointment) => Some(*appointment),
                _ => None,
            });
            let appointment = match (created, id) {
                (Some(appointment), _) => appointment,
                (None, Some(id)) => state
                    .book
                    .read(now, move |ctx| ctx.book.appointment(id))
                    .await?
                    .ok_or_else(|| {
                        ApiError::Internal("a committed appointment is missing".into())
                    })?,
                (None, None) => {
                    return Err(ApiError::Internal(
                        "a decision without an appointment".into(),
                    ));
                }
            };
            let expires = appointment.expires.filter(|_| {
                appointment.status == caretime_engine::book::AppointmentStatus::Pending
            });
            let bundle = Bundle::searchset(
                1,
                operation,
                vec![BundleEntry::matched(
                    format!("Appointment/{}", appointment.id.0),
                    stored(&appointment),
                )],
            );
            let mut response = (StatusCode::OK, fhir(&bundle)).into_response();
            if let Some(expires) = expires
                && let Ok(value) = axum::http::HeaderValue::from_str(
                    &jiff::fmt::rfc2822::DateTimePrinter::new()
                        .timestamp_to_rfc9110_string(&expires)
                        .unwrap_or_default(),
                )
            {
                response
                    .headers_mut()
                    .insert(axum::http::header::EXPIRES, value);
            }
            return Ok(response);
        }
        Decision::Refused(refusals) | Decision::Conflict(refusals) => refusals,
    };
    let reasons: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    if let Some(Refusal::UnknownAppointment(id)) = refusals.first() {
        return Err(ApiError::NotFound(format!(
            "there is no Appointment {}",
            id.0
        )));
    }
    let conflict = refusals.is_empty()
        || refusals.iter().any(|refusal| {
            matches!(
                refusal,
                Refusal::NotFree { .. } | Refusal::Expired | Refusal::Transition { .. }
            )
        });
    if conflict {
        Err(ApiError::Conflict(if reasons.is_empty() {
            "another request took the time first".to_owned()
        } else {
            reasons.join("; ")
        }))
    } else {
        Err(ApiError::Refused(reasons.join("; ")))
    }
}

/// A stored appointment as FHIR.
fn stored(appointment: &caretime_engine::book::Appointment) -> Appointment {
    let end = appointment.start + jiff::SignedDuration::from_mins(i64::from(appointment.length));
    Appointment {
        id: Some(appointment.id.0.to_string()),
        start: Some(appointment.start.to_string()),
        end: Some(end.to_string()),
        minutes_duration: Some(appointment.length),
        cancellation_reason: appointment
            .cancellation
            .map(|cancellation| CodeableConcept {
                coding: vec![Coding::new(CANCELLATION_SYSTEM, cancellation.reason.slug())],
                ..CodeableConcept::default()
            }),
        extension: vec![Extension::with_value(
            ROUTE_URL,
            "valueCode",
            appointment.route.slug(),
        )],
        ..Appointment::new(
            AppointmentStatus::from(appointment.status),
            participants(
                appointment.request.member,
                appointment.clinician,
                appointment.facility,
                ParticipationStatus::Accepted,
            ),
        )
    }
}
