//! FHIR R4 datatypes the resources here use: [`Meta`], [`Narrative`], [`Extension`],
//! [`Identifier`], [`HumanName`], [`ContactPoint`], [`Address`], [`CodeableConcept`],
//! [`Coding`], [`Reference`], [`Period`], [`Annotation`], [`Attachment`], and the primitive
//! helpers [`Decimal`] and [`Element`].
//!
//! Dates, date-times and instants are kept as the text that came in (`2021-03-01T14:00:00.000Z`
//! stays exactly that): FHIR allows partial dates and any precision, and a round trip must not
//! reformat them. Turning them into instants is the caller's job. Every datatype keeps its
//! `extension`; element `id`s are not kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An extension, kept as its JSON: `url` says what it is, and the rest (`valueString`,
/// `valueUrl`, nested `extension`, ...) is kept as it came and written back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    /// What the extension means (a StructureDefinition URL).
    pub url: String,
    /// Everything else: usually one `value[x]` key, or nested `extension` for a complex one.
    #[serde(flatten)]
    pub content: Map<String, Value>,
}

impl Extension {
    /// An extension with one value under `key` (`valueString`, `valueUrl`, `valueInteger`, ...).
    pub fn with_value(url: impl Into<String>, key: &str, value: impl Into<Value>) -> Extension {
        let mut content = Map::new();
        content.insert(key.to_owned(), value.into());
        Extension {
            url: url.into(),
            content,
        }
    }

    /// The value under `key` (`valueString`, ...), if present.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.content.get(key)
    }
}

/// The extensions on a primitive value, which FHIR JSON writes beside it with a leading
/// underscore (`_birthDate` beside `birthDate`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Element {
    /// The element's id, for references from within the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Extensions on the value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
}

/// A FHIR `decimal`, kept as the JSON number that came in: `0` stays an integer and `42.25475478`
/// keeps its digits, so a round trip writes what it read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Decimal(pub serde_json::Number);

impl Decimal {
    /// The value as a float (always `Some` for a finite JSON number).
    pub fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }

    /// A finite float as a decimal; `None` for NaN or infinity, which JSON cannot hold.
    pub fn from_f64(value: f64) -> Option<Decimal> {
        serde_json::Number::from_f64(value).map(Decimal)
    }
}

impl From<i64> for Decimal {
    fn from(value: i64) -> Decimal {
        Decimal(value.into())
    }
}

/// Metadata the server maintains about a resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The version id; changes with every update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// When the resource last changed (an instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// A URI for where the resource came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Profiles (canonical URLs) the resource claims to conform to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    /// Security labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<Coding>,
    /// Tags (workflow, process labels).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
}

/// A resource's human-readable summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Narrative {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `generated`, `extensions`, `additional` or `empty`.
    pub status: String,
    /// The XHTML `<div>`, as given.
    pub div: String,
}

/// An identifier of something in some system (a plan number, an NPI, a license).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `usual`, `official`, `temp`, `secondary` or `old`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// What kind of identifier it is (e.g. a medical record number).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// The namespace of the value (a URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The identifier itself, unique within `system`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// When the identifier was or is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Who issued it. Boxed: a Reference may carry an Identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner: Option<Box<Reference>>,
}

impl Identifier {
    /// An identifier with a system and a value.
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> Identifier {
        Identifier {
            system: Some(system.into()),
            value: Some(value.into()),
            ..Identifier::default()
        }
    }
}

/// A person's name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanName {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `usual`, `official`, `temp`, `nickname`, `anonymous`, `old` or `maiden`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The full name as it should be shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The family name (surname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Extensions on `family` (e.g. an own-prefix or partner-name part).
    #[serde(default, rename = "_family", skip_serializing_if = "Option::is_none")]
    pub family_element: Option<Element>,
    /// Given names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    /// Parts before the name (`Dr.`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    /// Parts after the name (`PhD`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
    /// When the name was or is in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A phone number, e-mail address, URL or other way to reach someone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPoint {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `phone`, `fax`, `email`, `pager`, `url`, `sms` or `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The number or address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `home`, `work`, `temp`, `old` or `mobile`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Preference order, 1 first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// When it was or is in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

impl ContactPoint {
    /// A contact point of `system` (`phone`, `url`, ...) with a value.
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> ContactPoint {
        ContactPoint {
            system: Some(system.into()),
            value: Some(value.into()),
            ..ContactPoint::default()
        }
    }
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `home`, `work`, `temp`, `old` or `billing`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// `postal`, `physical` or `both`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The whole address as it should be shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Street lines, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    /// City or town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// County or district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// State or province (US: the two-letter code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code (US: ZIP or ZIP+4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166 code or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// When the address was or is in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A concept as codes from one or more code systems, and/or text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeableConcept {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The same concept in each code system that has it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// The concept as the user entered or saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept of one coding.
    pub fn coding(coding: Coding) -> CodeableConcept {
        CodeableConcept {
            coding: vec![coding],
            ..CodeableConcept::default()
        }
    }

    /// A concept given by text only.
    pub fn text(text: impl Into<String>) -> CodeableConcept {
        CodeableConcept {
            text: Some(text.into()),
            ..CodeableConcept::default()
        }
    }
}

/// A code from a code system.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The code system (a URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The code system's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The code's display text in the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Whether the user chose this coding directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_selected: Option<bool>,
}

impl Coding {
    /// A code in a system.
    pub fn new(system: impl Into<String>, code: impl Into<String>) -> Coding {
        Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            ..Coding::default()
        }
    }

    /// The same coding with a display text.
    pub fn with_display(self, display: impl Into<String>) -> Coding {
        Coding {
            display: Some(display.into()),
            ..self
        }
    }
}

/// A reference to another resource: `Patient/123`, an absolute URL, `#contained-id`, or only an
/// identifier or a display text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// A relative or absolute URL (`Practitioner/17`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The resource type the reference points to.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A logical reference, when there is no URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// Text for the referenced resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A relative reference `<resource_type>/<id>`.
    pub fn to(resource_type: &str, id: &str) -> Reference {
        Reference::new(format!("{resource_type}/{id}"))
    }

    /// A reference by its URL or relative reference, as given.
    pub fn new(reference: impl Into<String>) -> Reference {
        Reference {
            reference: Some(reference.into()),
            ..Reference::default()
        }
    }

    /// The same reference with a display text.
    pub fn with_display(self, display: impl Into<String>) -> Reference {
        Reference {
            display: Some(display.into()),
            ..self
        }
    }
}

/// A time range; either end may be missing (open).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The start, inclusive (a dateTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The end, inclusive at the precision given (a dateTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

impl Period {
    /// A period from `start` to `end` (dateTimes, as FHIR writes them).
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Period {
        Period {
            start: Some(start.into()),
            end: Some(end.into()),
            ..Period::default()
        }
    }
}

/// A note with its author and time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The author, as a reference (`author[x]`; at most one of the two is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_reference: Option<Reference>,
    /// The author, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_string: Option<String>,
    /// When the note was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The note (markdown).
    pub text: String,
}

/// Content by reference (`url`) or inline (`data`, base64).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The content's language (BCP 47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The content, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Where the content is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// SHA-1 of the content, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// A label to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the content was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation: Option<String>,
}
