//! Any resource: [`Resource`], read by its `resourceType`, and the [`FhirResource`] trait each
//! resource type implements.
//!
//! A [`Resource`] is what a Bundle entry, a contained resource, a `Parameters.parameter.resource`
//! and an NDJSON line hold, and what [`Resource::from_json`] reads when the type is not known in
//! advance. A resource type this crate does not model is kept as its JSON
//! ([`Resource::Other`]) rather than refused, so a Bundle with an `Organization` in it still reads.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::administration::{HealthcareService, Location, Patient, Practitioner, PractitionerRole};
use crate::audit::AuditEvent;
use crate::bundle::Bundle;
use crate::capability::CapabilityStatement;
use crate::error::{FhirError, replayed_message};
use crate::outcome::OperationOutcome;
use crate::parameters::Parameters;
use crate::scheduling::{Appointment, AppointmentResponse, Schedule, Slot};

/// A FHIR resource type of this crate. [`crate::parse`] reads one by its type and refuses JSON of
/// another `resourceType`.
pub trait FhirResource: Serialize + Into<Resource> + Sized {
    /// The `resourceType` (`"Appointment"`).
    const RESOURCE_TYPE: &'static str;

    /// The resource if it is of this type, else the resource back.
    fn from_resource(resource: Resource) -> Result<Self, Resource>;
}

macro_rules! resources {
    ($($name:ident),* $(,)?) => {
        /// Any resource, by its `resourceType`. Written as the resource itself (its
        /// `resourceType` first); read from a JSON object whose `resourceType` may come anywhere.
        /// Each resource is boxed: they are large (a Patient is some 2 KB) and differ in size,
        /// and a Bundle or an NDJSON file holds many.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Resource {
            $(
                #[doc = concat!("A `", stringify!($name), "`.")]
                $name(Box<$name>),
            )*
            /// A resource type this crate does not model, kept as its JSON (with its
            /// `resourceType`) and written back as it came.
            Other(Map<String, Value>),
        }

        impl Resource {
            /// The `resourceType`; empty for an [`Resource::Other`] built without one.
            pub fn resource_type(&self) -> &str {
                match self {
                    $(Resource::$name(_) => stringify!($name),)*
                    Resource::Other(json) => {
                        json.get("resourceType").and_then(Value::as_str).unwrap_or_default()
                    }
                }
            }

            /// The logical id, if it has one.
            pub fn id(&self) -> Option<&str> {
                match self {
                    $(Resource::$name(inner) => inner.id.as_deref(),)*
                    Resource::Other(json) => json.get("id").and_then(Value::as_str),
                }
            }

            /// Reads the rest of a resource's JSON object, whose `resourceType` has been read.
            fn read_rest<'de, M: MapAccess<'de>>(
                resource_type: String,
                rest: M,
            ) -> Result<Resource, M::Error> {
                let rest = MapAccessDeserializer::new(rest);
                match resource_type.as_str() {
                    $(stringify!($name) => {
                        $name::deserialize(rest).map(|inner| Resource::$name(Box::new(inner)))
                    })*
                    _ => {
                        let mut json = Map::deserialize(rest)?;
                        json.insert("resourceType".to_owned(), Value::String(resource_type));
                        Ok(Resource::Other(json))
                    }
                }
            }

            /// The name to show for a resource's type in an error: one of this crate's, since
            /// any other text came from outside.
            pub(crate) fn known_type_name(&self) -> &'static str {
                match self {
                    $(Resource::$name(_) => stringify!($name),)*
                    Resource::Other(_) => "one this crate does not model",
                }
            }
        }

        impl Serialize for Resource {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Resource::$name(inner) => inner.serialize(serializer),)*
                    Resource::Other(json) => json.serialize(serializer),
                }
            }
        }
    };
}

resources! {
    Appointment,
    AppointmentResponse,
    AuditEvent,
    Bundle,
    CapabilityStatement,
    HealthcareService,
    Location,
    OperationOutcome,
    Parameters,
    Patient,
    Practitioner,
    PractitionerRole,
    Schedule,
    Slot,
}

impl Resource {
    /// Reads any resource from JSON text. Errors name the field's path and never a value.
    pub fn from_json(text: &str) -> Result<Resource, FhirError> {
        crate::from_json(text)
    }

    /// The resource as compact JSON.
    pub fn to_json(&self) -> String {
        crate::to_json(self)
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Resource, D::Error> {
        deserializer.deserialize_map(ResourceVisitor)
    }
}

struct ResourceVisitor;

impl<'de> Visitor<'de> for ResourceVisitor {
    type Value = Resource;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FHIR resource (a JSON object with a resourceType)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Resource, A::Error> {
        // FHIR JSON puts `resourceType` first, and then the rest is read straight from the
        // input, so errors keep their full path. Keys before it are buffered and replayed.
        let mut before = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "resourceType" {
                let resource_type: String = map.next_value()?;
                let rest = Replayed {
                    before: before.into_iter(),
                    pending: None,
                    live: map,
                };
                return Resource::read_rest(resource_type, rest);
            }
            let value: Value = map.next_value()?;
            before.push((key, value));
        }
        Err(de::Error::missing_field("resourceType"))
    }
}

/// A map that yields buffered entries first, then the rest of a live map.
struct Replayed<A> {
    before: std::vec::IntoIter<(String, Value)>,
    /// The value of the key just replayed, and that key.
    pending: Option<(String, Value)>,
    live: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replayed<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.before.next() {
            Some((key, value)) => {
                self.pending = Some((key.clone(), value));
                let key: StringDeserializer<A::Error> = key.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => self.live.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            Some((key, value)) => {
                // The outer path tracking does not see this value: track its path here.
                let mut track = serde_path_to_error::Track::new();
                seed.deserialize(serde_path_to_error::Deserializer::new(value, &mut track))
                    .map_err(|err| de::Error::custom(replayed_message(&key, &track.path(), &err)))
            }
            None => self.live.next_value_seed(seed),
        }
    }
}
