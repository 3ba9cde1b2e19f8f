//! [`Parameters`]: the input and output of operations such as IHE ITI Scheduling's
//! `Appointment/$find`, `$hold` and `$book`. Each [`Parameter`] has a name and a value
//! ([`ParameterValue`], one `value[x]`), a resource, or nested parts.
//!
//! A parameter is read and written by hand rather than by derive, so that its `value[x]` is one
//! enum: on input a second `value[x]` is an error, and on output at most one is ever written.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::datatypes::{CodeableConcept, Coding, Extension, Identifier, Period, Reference};
use crate::error::MORE_THAN_ONE_VALUE;
use crate::resource::Resource;

resource! { base
    /// Named values in and out of an operation.
    #[derive(Default)]
    pub struct Parameters {
        /// The parameters, in order; a name may repeat.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub parameter: Vec<Parameter>,
    }
}

impl Parameters {
    /// Parameters with these parameters.
    pub fn new(parameter: Vec<Parameter>) -> Parameters {
        Parameters {
            parameter,
            ..Parameters::default()
        }
    }

    /// The first parameter with this name.
    pub fn get(&self, name: &str) -> Option<&Parameter> {
        self.parameter
            .iter()
            .find(|parameter| parameter.name == name)
    }

    /// Every parameter with this name, in order (`specialty` may repeat).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Parameter> + 'a {
        self.parameter
            .iter()
            .filter(move |parameter| parameter.name == name)
    }
}

/// One named parameter: a value, a resource or parts (FHIR allows one of the three).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// The element's id.
    pub id: Option<String>,
    /// Extensions, kept as their JSON.
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    pub modifier_extension: Vec<Extension>,
    /// The name (`start`, `appointment-reference`, ...).
    pub name: String,
    /// The `value[x]`, if it has one.
    pub value: Option<ParameterValue>,
    /// A resource (`appointment-resource`, `patient-resource`, `return`).
    pub resource: Option<Resource>,
    /// Nested parameters, for a tuple.
    pub part: Vec<Parameter>,
}

impl Parameter {
    /// A parameter with a value.
    pub fn value(name: impl Into<String>, value: ParameterValue) -> Parameter {
        Parameter {
            value: Some(value),
            ..Parameter::named(name)
        }
    }

    /// A parameter with a resource.
    pub fn resource(name: impl Into<String>, resource: impl Into<Resource>) -> Parameter {
        Parameter {
            resource: Some(resource.into()),
            ..Parameter::named(name)
        }
    }

    /// A parameter of nested parts.
    pub fn parts(name: impl Into<String>, part: Vec<Parameter>) -> Parameter {
        Parameter {
            part,
            ..Parameter::named(name)
        }
    }

    fn named(name: impl Into<String>) -> Parameter {
        Parameter {
            id: None,
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            name: name.into(),
            value: None,
            resource: None,
            part: Vec::new(),
        }
    }
}

/// A parameter's `value[x]`: the choices IHE ITI Scheduling uses, and any other kept as JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum ParameterValue {
    /// `valueString`.
    String(String),
    /// `valueDateTime` (`2024-10-21T09:00:00-07:00`, or less precise).
    DateTime(String),
    /// `valueInstant` (to the second, with a zone).
    Instant(String),
    /// `valueDate` (`2024-10-21`).
    Date(String),
    /// `valueCode`.
    Code(String),
    /// `valueBoolean`.
    Boolean(bool),
    /// `valueInteger` (32-bit signed).
    Integer(i32),
    /// `valueUri`.
    Uri(String),
    /// `valueReference` (`appointment-reference`, `practitioner`, ...).
    Reference(Reference),
    /// `valueCoding`.
    Coding(Coding),
    /// `valueCodeableConcept` (`specialty`, `visit-type`, `reason`).
    CodeableConcept(CodeableConcept),
    /// `valuePeriod`.
    Period(Period),
    /// `valueIdentifier` (`referral-identifier`).
    Identifier(Identifier),
    /// `valuePositiveInt` (`_count`).
    PositiveInt(u32),
    /// Any other `value[x]`, by its key (`valueDecimal`, ...), kept as its JSON.
    Other {
        /// The JSON key, `value` and a type name.
        key: String,
        /// The value as it came.
        json: Value,
    },
}

impl ParameterValue {
    /// The text of a value given as text (string, dateTime, instant, date, code, uri).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParameterValue::String(text)
            | ParameterValue::DateTime(text)
            | ParameterValue::Instant(text)
            | ParameterValue::Date(text)
            | ParameterValue::Code(text)
            | ParameterValue::Uri(text) => Some(text),
            _ => None,
        }
    }

    /// The JSON key of the value (`valueString`, ...).
    pub fn key(&self) -> &str {
        match self {
            ParameterValue::String(_) => "valueString",
            ParameterValue::DateTime(_) => "valueDateTime",
            ParameterValue::Instant(_) => "valueInstant",
            ParameterValue::Date(_) => "valueDate",
            ParameterValue::Code(_) => "valueCode",
            ParameterValue::Boolean(_) => "valueBoolean",
            ParameterValue::Integer(_) => "valueInteger",
            ParameterValue::Uri(_) => "valueUri",
            ParameterValue::Reference(_) => "valueReference",
            ParameterValue::Coding(_) => "valueCoding",
            ParameterValue::CodeableConcept(_) => "valueCodeableConcept",
            ParameterValue::Period(_) => "valuePeriod",
            ParameterValue::Identifier(_) => "valueIdentifier",
            ParameterValue::PositiveInt(_) => "valuePositiveInt",
            ParameterValue::Other { key, .. } => key,
        }
    }

    /// Reads the value of the entry whose key is `key` (which starts with `value`).
    fn read<'de, A: MapAccess<'de>>(key: String, map: &mut A) -> Result<ParameterValue, A::Error> {
        Ok(match key.as_str() {
            "valueString" => ParameterValue::String(map.next_value()?),
            "valueDateTime" => ParameterValue::DateTime(map.next_value()?),
            "valueInstant" => ParameterValue::Instant(map.next_value()?),
            "valueDate" => ParameterValue::Date(map.next_value()?),
            "valueCode" => ParameterValue::Code(map.next_value()?),
            "valueBoolean" => ParameterValue::Boolean(map.next_value()?),
            "valueInteger" => ParameterValue::Integer(map.next_value()?),
            "valueUri" => ParameterValue::Uri(map.next_value()?),
            "valueReference" => ParameterValue::Reference(map.next_value()?),
            "valueCoding" => ParameterValue::Coding(map.next_value()?),
            "valueCodeableConcept" => ParameterValue::CodeableConcept(map.next_value()?),
            "valuePeriod" => ParameterValue::Period(map.next_value()?),
            "valueIdentifier" => ParameterValue::Identifier(map.next_value()?),
            "valuePositiveInt" => ParameterValue::PositiveInt(map.next_value()?),
            _ => ParameterValue::Other {
                json: map.next_value()?,
                key,
            },
        })
    }

    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let key = self.key();
        match self {
            ParameterValue::String(text)
            | ParameterValue::DateTime(text)
            | ParameterValue::Instant(text)
            | ParameterValue::Date(text)
            | ParameterValue::Code(text)
            | ParameterValue::Uri(text) => map.serialize_entry(key, text),
            ParameterValue::Boolean(flag) => map.serialize_entry(key, flag),
            ParameterValue::Integer(number) => map.serialize_entry(key, number),
            ParameterValue::PositiveInt(number) => map.serialize_entry(key, number),
            ParameterValue::Reference(reference) => map.serialize_entry(key, reference),
            ParameterValue::Coding(coding) => map.serialize_entry(key, coding),
            ParameterValue::CodeableConcept(concept) => map.serialize_entry(key, concept),
            ParameterValue::Period(period) => map.serialize_entry(key, period),
            ParameterValue::Identifier(identifier) => map.serialize_entry(key, identifier),
            ParameterValue::Other { json, .. } => map.serialize_entry(key, json),
        }
    }
}

impl Serialize for Parameter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(id) = &self.id {
            map.serialize_entry("id", id)?;
        }
        if !self.extension.is_empty() {
            map.serialize_entry("extension", &self.extension)?;
        }
        if !self.modifier_extension.is_empty() {
            map.serialize_entry("modifierExtension", &self.modifier_extension)?;
        }
        map.serialize_entry("name", &self.name)?;
        if let Some(value) = &self.value {
            value.write(&mut map)?;
        }
        if let Some(resource) = &self.resource {
            map.serialize_entry("resource", resource)?;
        }
        if !self.part.is_empty() {
            map.serialize_entry("part", &self.part)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Parameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Parameter, D::Error> {
        deserializer.deserialize_map(ParameterVisitor)
    }
}

struct ParameterVisitor;

impl<'de> Visitor<'de> for ParameterVisitor {
    type Value = Parameter;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a parameter (a JSON object with a name)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parameter, A::Error> {
        let mut name = None;
        let mut parameter = Parameter::named(String::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = Some(map.next_value()?),
                "id" => parameter.id = Some(map.next_value()?),
                "extension" => parameter.extension = map.next_value()?,
                "modifierExtension" => parameter.modifier_extension = map.next_value()?,
                "resource" => parameter.resource = Some(map.next_value()?),
                "part" => parameter.part = map.next_value()?,
                _ if key.starts_with("value") => {
                    if parameter.value.is_some() {
                        return Err(de::Error::custom(MORE_THAN_ONE_VALUE));
                    }
                    parameter.value = Some(ParameterValue::read(key, &mut map)?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        parameter.name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        Ok(parameter)
    }
}
