//! [`CapabilityStatement`]: what a FHIR server supports, served at `GET [base]/metadata`. Only
//! the parts a server states about itself are modelled (software, formats, and per resource its
//! interactions, search parameters and operations); contacts, messaging and documents are not.

use serde::{Deserialize, Serialize};

use crate::datatypes::{CodeableConcept, Extension};

/// The FHIR version this crate speaks.
pub const FHIR_VERSION: &str = "4.0.1";

resource! { domain
    /// What a server (or client) can do.
    pub struct CapabilityStatement {
        /// Its canonical URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// Its business version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub version: Option<String>,
        /// A computer-friendly name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// A human-friendly title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// `draft`, `active`, `retired` or `unknown`.
        pub status: String,
        /// For testing only, not for real use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub experimental: Option<bool>,
        /// When it was last changed (a dateTime).
        pub date: String,
        /// Who publishes it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub publisher: Option<String>,
        /// A description (markdown).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// `instance` (a running server), `capability` (software) or `requirements`.
        pub kind: String,
        /// Canonical URLs of capability statements it implements.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub instantiates: Vec<String>,
        /// The software.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub software: Option<CapabilitySoftware>,
        /// The running installation (for kind `instance`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub implementation: Option<CapabilityImplementation>,
        /// The FHIR version (`4.0.1`).
        pub fhir_version: String,
        /// MIME types or short names (`json`) of the formats supported.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub format: Vec<String>,
        /// Patch formats supported.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub patch_format: Vec<String>,
        /// Implementation guides supported (canonical URLs).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub implementation_guide: Vec<String>,
        /// The RESTful endpoints.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub rest: Vec<CapabilityRest>,
    }
}

impl CapabilityStatement {
    /// The statement of a running server (`kind` `instance`, status `active`, FHIR 4.0.1, JSON)
    /// as of `date`, with nothing else yet. An `instance` must describe its `implementation`
    /// (R4 invariant cpb-14): a running server of `software`.
    pub fn server(date: impl Into<String>, software: CapabilitySoftware) -> CapabilityStatement {
        let implementation = CapabilityImplementation {
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            description: format!("a running {} server", software.name),
            url: None,
        };
        CapabilityStatement {
            id: None,
            meta: None,
            implicit_rules: None,
            language: None,
            text: None,
            contained: Vec::new(),
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            url: None,
            version: None,
            name: None,
            title: None,
            status: "active".to_owned(),
            experimental: None,
            date: date.into(),
            publisher: None,
            description: None,
            kind: "instance".to_owned(),
            instantiates: Vec::new(),
            software: Some(software),
            implementation: Some(implementation),
            fhir_version: FHIR_VERSION.to_owned(),
            format: vec!["json".to_owned()],
            patch_format: Vec::new(),
            implementation_guide: Vec::new(),
            rest: Vec::new(),
        }
    }
}

/// The software a statement is about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitySoftware {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Its name (`caretime`).
    pub name: String,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the version was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
}

/// The installation a statement is about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityImplementation {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// What it is.
    pub description: String,
    /// Its base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A RESTful endpoint: security, and what it does per resource type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityRest {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// `server` or `client`.
    pub mode: String,
    /// About the endpoint (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    /// How clients authenticate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<CapabilitySecurity>,
    /// Per resource type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<CapabilityResource>,
    /// System-wide interactions (`transaction`, `search-system`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<CapabilityInteraction>,
    /// System-wide search parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<CapabilitySearchParam>,
    /// System-wide operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<CapabilityOperation>,
    /// Compartments supported (canonical URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compartment: Vec<String>,
}

/// How clients of an endpoint authenticate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitySecurity {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Whether CORS headers are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<bool>,
    /// The security services (`OAuth`, `SMART-on-FHIR`, `Basic`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<CodeableConcept>,
    /// How it works (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What an endpoint does with one resource type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityResource {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The resource type (`Appointment`).
    #[serde(rename = "type")]
    pub type_: String,
    /// The base profile (canonical URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Profiles supported for use cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_profile: Vec<String>,
    /// About the resource's use (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    /// `read`, `vread`, `update`, `patch`, `delete`, `history-instance`, `history-type`,
    /// `create` or `search-type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<CapabilityInteraction>,
    /// `no-version`, `versioned` or `versioned-update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// Whether vRead returns past versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_history: Option<bool>,
    /// Whether an update may create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_create: Option<bool>,
    /// Whether conditional creates are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_create: Option<bool>,
    /// `not-supported`, `modified-since`, `not-match` or `full-support`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_read: Option<String>,
    /// Whether conditional updates are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_update: Option<bool>,
    /// `not-supported`, `single` or `multiple`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_delete: Option<String>,
    /// `literal`, `logical`, `resolves`, `enforced` or `local`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_policy: Vec<String>,
    /// `_include` values supported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_include: Vec<String>,
    /// `_revinclude` values supported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_rev_include: Vec<String>,
    /// Search parameters supported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_param: Vec<CapabilitySearchParam>,
    /// Operations supported on the type (`$find` on Appointment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operation: Vec<CapabilityOperation>,
}

/// An interaction supported.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityInteraction {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The interaction (`read`, `search-type`, ...).
    pub code: String,
    /// How it behaves here (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

/// A search parameter supported.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitySearchParam {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Its name in URLs (`date`, `actor`).
    pub name: String,
    /// Its SearchParameter definition (canonical URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// `number`, `date`, `string`, `token`, `reference`, `composite`, `quantity`, `uri` or
    /// `special`.
    #[serde(rename = "type")]
    pub type_: String,
    /// How it behaves here (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}

/// An operation supported.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityOperation {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Its name, without the `$` (`find`).
    pub name: String,
    /// Its OperationDefinition (canonical URL).
    pub definition: String,
    /// How it behaves here (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
}
