//! [`AuditEvent`]: who did what to which resource, when, from where, with what outcome. The
//! server exposes its append-only audit table as these.
//!
//! The codes (`action`, `outcome`) stay strings: the server writes a handful of fixed ones, and
//! other systems' events must read whatever they say.

use serde::{Deserialize, Serialize};

use crate::datatypes::{CodeableConcept, Coding, Extension, Period, Reference};

resource! { domain
    /// A record of an event for security and privacy audit.
    #[derive(Default)]
    pub struct AuditEvent {
        /// The kind of event (e.g. `rest` for a RESTful operation, `110114` user
        /// authentication).
        #[serde(rename = "type")]
        pub type_: Coding,
        /// More specific kinds (e.g. `read`, `search`, `login`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub subtype: Vec<Coding>,
        /// `C` create, `R` read, `U` update, `D` delete, `E` execute.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub action: Option<String>,
        /// When the activity took place.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub period: Option<Period>,
        /// When the event was recorded (an instant).
        pub recorded: String,
        /// `0` success, `4` minor failure, `8` serious failure, `12` major failure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outcome: Option<String>,
        /// A description of the outcome.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outcome_desc: Option<String>,
        /// Why the event happened (purpose of use).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub purpose_of_event: Vec<CodeableConcept>,
        /// Who took part (at least one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub agent: Vec<AuditEventAgent>,
        /// The system that recorded the event.
        pub source: AuditEventSource,
        /// What was used or changed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub entity: Vec<AuditEventEntity>,
    }
}

/// A participant of an audited event: a user, a system, a device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventAgent {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// How the agent took part.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// The agent's roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<CodeableConcept>,
    /// Who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<Reference>,
    /// Another id for the agent (e.g. a login name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_id: Option<String>,
    /// A name for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether this agent started the event.
    pub requestor: bool,
    /// Where the agent was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Reference>,
    /// Policies that authorized the event (URIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<String>,
    /// The media of the data, for exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Coding>,
    /// The network address the agent acted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<AuditEventNetwork>,
    /// The agent's reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_use: Vec<CodeableConcept>,
}

/// Where an agent acted from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventNetwork {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// A machine name, IP address, phone number or URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `1` machine name, `2` IP address, `3` phone, `4` e-mail, `5` URI.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// The system that recorded an event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventSource {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The logical site or enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The system itself.
    pub observer: Reference,
    /// What kind of system.
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<Coding>,
}

/// A resource or object an event used or changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventEntity {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<Reference>,
    /// What kind of object (e.g. `2` system object).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<Coding>,
    /// Its role in the event (e.g. `24` query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Coding>,
    /// Its life-cycle stage (e.g. `6` access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Coding>,
    /// Its security labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_label: Vec<Coding>,
    /// A name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A description of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The query, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// More details, as tagged values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<AuditEventEntityDetail>,
}

/// A tagged value about an audited entity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventEntityDetail {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The tag.
    #[serde(rename = "type")]
    pub type_: String,
    /// `value[x]` as text; at most one of the two is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    /// `value[x]` as base64 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_base64_binary: Option<String>,
}
