//! The people and places: [`Patient`] (a member), [`Practitioner`] (a clinician),
//! [`PractitionerRole`] (a clinician at a facility, with specialties and hours), [`Location`] (a
//! facility) and [`HealthcareService`] (a service offered at locations).
//!
//! Codes here come from value sets the server does not choose among (gender, location status,
//! days of week), so they stay strings.

use serde::{Deserialize, Serialize};

use crate::datatypes::{
    Address, Attachment, CodeableConcept, Coding, ContactPoint, Decimal, Element, Extension,
    HumanName, Identifier, Period, Reference,
};

resource! { domain
    /// A person who receives care: a member of the plan.
    #[derive(Default)]
    pub struct Patient {
        /// Identifiers (plan member number, medical record number).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Whether the record is in active use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        /// Names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub name: Vec<HumanName>,
        /// Phone numbers, e-mail addresses.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub telecom: Vec<ContactPoint>,
        /// `male`, `female`, `other` or `unknown`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub gender: Option<String>,
        /// Birth date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub birth_date: Option<String>,
        /// Extensions on the birth date (e.g. the time of birth).
        #[serde(default, rename = "_birthDate", skip_serializing_if = "Option::is_none")]
        pub birth_date_element: Option<Element>,
        /// `deceased[x]` as a flag; at most one of the two is set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deceased_boolean: Option<bool>,
        /// `deceased[x]` as the date and time of death.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deceased_date_time: Option<String>,
        /// Addresses.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub address: Vec<Address>,
        /// Marital status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub marital_status: Option<CodeableConcept>,
        /// `multipleBirth[x]` as a flag; at most one of the two is set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub multiple_birth_boolean: Option<bool>,
        /// `multipleBirth[x]` as the birth order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub multiple_birth_integer: Option<i32>,
        /// Photos.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub photo: Vec<Attachment>,
        /// Contacts: guardians, next of kin, emergency contacts.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub contact: Vec<PatientContact>,
        /// Languages the patient communicates in.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub communication: Vec<PatientCommunication>,
        /// The patient's nominated primary care providers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub general_practitioner: Vec<Reference>,
        /// The organization that holds the record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub managing_organization: Option<Reference>,
        /// Other records of the same person.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub link: Vec<PatientLink>,
    }
}

/// A contact person of a patient.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientContact {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The relationship (e.g. `N` next of kin, `E` employer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationship: Vec<CodeableConcept>,
    /// The contact's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<HumanName>,
    /// How to reach the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    /// The contact's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// `male`, `female`, `other` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// The organization the contact works for, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Reference>,
    /// When the contact is or was to be contacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A language a patient communicates in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientCommunication {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The language (BCP 47, e.g. `es` or `vi`).
    pub language: CodeableConcept,
    /// Whether the patient prefers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<bool>,
}

/// Another record of the same person.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientLink {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The other Patient or RelatedPerson.
    pub other: Reference,
    /// `replaced-by`, `replaces`, `refer` or `seealso`.
    #[serde(rename = "type")]
    pub type_: String,
}

resource! { domain
    /// A person who provides care: a clinician, internal or in the external network.
    #[derive(Default)]
    pub struct Practitioner {
        /// Identifiers (NPI, employee number).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Whether the record is in active use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        /// Names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub name: Vec<HumanName>,
        /// Work phone numbers and addresses.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub telecom: Vec<ContactPoint>,
        /// Addresses.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub address: Vec<Address>,
        /// `male`, `female`, `other` or `unknown`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub gender: Option<String>,
        /// Birth date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub birth_date: Option<String>,
        /// Photos.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub photo: Vec<Attachment>,
        /// Licenses, degrees, certifications.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub qualification: Vec<PractitionerQualification>,
        /// Languages spoken (BCP 47).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub communication: Vec<CodeableConcept>,
    }
}

/// A license, degree or certification of a practitioner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PractitionerQualification {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The license or certificate number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// What the qualification is (e.g. `LCSW`, `PsyD`).
    pub code: CodeableConcept,
    /// When it is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<Reference>,
}

resource! { domain
    /// What a practitioner does for an organization, where and when: a clinician's discipline,
    /// facilities and weekly hours.
    #[derive(Default)]
    pub struct PractitionerRole {
        /// Identifiers of the role.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Whether the role is in active use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        /// When the practitioner holds the role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub period: Option<Period>,
        /// The Practitioner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub practitioner: Option<Reference>,
        /// The Organization the role is for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub organization: Option<Reference>,
        /// Roles (e.g. a discipline).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub code: Vec<CodeableConcept>,
        /// Specialties.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub specialty: Vec<CodeableConcept>,
        /// The Locations where the role is held.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub location: Vec<Reference>,
        /// The HealthcareServices provided in the role.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub healthcare_service: Vec<Reference>,
        /// How to reach the practitioner in this role.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub telecom: Vec<ContactPoint>,
        /// Weekly hours.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub available_time: Vec<AvailableTime>,
        /// Periods when the practitioner is not available.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub not_available: Vec<NotAvailable>,
        /// Exceptions to the hours, as text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub availability_exceptions: Option<String>,
        /// Technical endpoints for the role.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub endpoint: Vec<Reference>,
    }
}

/// Weekly hours: the days, and either all day or a start and end time.
/// (`PractitionerRole.availableTime` and `HealthcareService.availableTime`, which are alike.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableTime {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_week: Vec<String>,
    /// Whether all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_day: Option<bool>,
    /// Opening time (`09:00:00`), local to the location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_start_time: Option<String>,
    /// Closing time (`16:30:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_end_time: Option<String>,
}

/// A period of unavailability, with its reason.
/// (`PractitionerRole.notAvailable` and `HealthcareService.notAvailable`, which are alike.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotAvailable {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Why (e.g. `Annual leave`).
    pub description: String,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<Period>,
}

resource! { domain
    /// A place where care is given: a facility, a building, a room, or an ambulance.
    #[derive(Default)]
    pub struct Location {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// `active`, `suspended` or `inactive`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Operational status (for beds and rooms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub operational_status: Option<Coding>,
        /// The name people use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Other names.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub alias: Vec<String>,
        /// More about the location (e.g. where the entrance is).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// `instance` (a specific place) or `kind` (a class of places).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mode: Option<String>,
        /// What is done there.
        #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
        pub type_: Vec<CodeableConcept>,
        /// How to reach it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub telecom: Vec<ContactPoint>,
        /// Its address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub address: Option<Address>,
        /// Building, wing, room, vehicle, ...
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub physical_type: Option<CodeableConcept>,
        /// Where it is on the globe.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub position: Option<LocationPosition>,
        /// The Organization responsible for it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub managing_organization: Option<Reference>,
        /// The Location it is part of.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub part_of: Option<Reference>,
        /// Opening hours.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub hours_of_operation: Vec<HoursOfOperation>,
        /// Exceptions to the opening hours, as text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub availability_exceptions: Option<String>,
        /// Technical endpoints at the location.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub endpoint: Vec<Reference>,
    }
}

/// Coordinates (WGS84), in decimal degrees and metres.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationPosition {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Longitude, decimal degrees.
    pub longitude: Decimal,
    /// Latitude, decimal degrees.
    pub latitude: Decimal,
    /// Altitude, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<Decimal>,
}

/// Opening hours on some days of the week.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoursOfOperation {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_week: Vec<String>,
    /// Whether open all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_day: Option<bool>,
    /// Opening time (`08:00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_time: Option<String>,
    /// Closing time (`17:00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_time: Option<String>,
}

resource! { domain
    /// A service offered at one or more locations (e.g. outpatient psychotherapy at a medical
    /// center), with who may use it, how to be referred and its hours.
    #[derive(Default)]
    pub struct HealthcareService {
        /// Identifiers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub identifier: Vec<Identifier>,
        /// Whether the service is in active use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        /// The Organization that provides it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub provided_by: Option<Reference>,
        /// Broad categories (e.g. counselling).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub category: Vec<CodeableConcept>,
        /// Types of service.
        #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
        pub type_: Vec<CodeableConcept>,
        /// Specialties.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub specialty: Vec<CodeableConcept>,
        /// The Locations where it is offered.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub location: Vec<Reference>,
        /// Its name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// More about it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub comment: Option<String>,
        /// Extra details (markdown).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub extra_details: Option<String>,
        /// A photo or logo.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub photo: Option<Attachment>,
        /// How to reach it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub telecom: Vec<ContactPoint>,
        /// The Locations it serves.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub coverage_area: Vec<Reference>,
        /// Conditions on the service (e.g. free, discounts).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub service_provision_code: Vec<CodeableConcept>,
        /// Who may use it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub eligibility: Vec<HealthcareServiceEligibility>,
        /// Programs it belongs to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub program: Vec<CodeableConcept>,
        /// Characteristics (e.g. wheelchair access).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub characteristic: Vec<CodeableConcept>,
        /// Languages it is offered in.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub communication: Vec<CodeableConcept>,
        /// How referrals are accepted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub referral_method: Vec<CodeableConcept>,
        /// Whether an appointment is needed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub appointment_required: Option<bool>,
        /// Weekly hours.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub available_time: Vec<AvailableTime>,
        /// Periods when it is not available.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub not_available: Vec<NotAvailable>,
        /// Exceptions to the hours, as text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub availability_exceptions: Option<String>,
        /// Technical endpoints for the service.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub endpoint: Vec<Reference>,
    }
}

/// A condition on who may use a service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthcareServiceEligibility {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The condition, coded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    /// The condition, in words (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
