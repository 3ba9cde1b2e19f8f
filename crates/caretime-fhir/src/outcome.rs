//! [`OperationOutcome`]: what the server says when an operation fails (or wants to warn), one
//! [`OperationOutcomeIssue`] per problem, each with an [`IssueSeverity`] and an [`IssueType`].
//! A lost booking race is `OperationOutcome::error(IssueType::Conflict, ...)` with HTTP 409.

use serde::{Deserialize, Serialize};

use crate::datatypes::{CodeableConcept, Extension};

codes! {
    /// How bad an issue is (value set `issue-severity`, required).
    pub enum IssueSeverity {
        /// The operation could not even be attempted.
        Fatal = "fatal",
        /// The operation failed.
        Error = "error",
        /// The operation succeeded, with a problem worth knowing.
        Warning = "warning",
        /// For information only.
        Information = "information",
    }
}

codes! {
    /// What kind of issue (value set `issue-type`, required).
    pub enum IssueType {
        /// The content is invalid (the parent of the next five).
        Invalid = "invalid",
        /// A structural problem (not JSON, wrong element).
        Structure = "structure",
        /// A required element is missing.
        Required = "required",
        /// An element's value is invalid.
        Value = "value",
        /// A content invariant does not hold.
        Invariant = "invariant",
        /// A security problem (the parent of the next five).
        Security = "security",
        /// The client must log in.
        Login = "login",
        /// The user or system is not known.
        Unknown = "unknown",
        /// The session has expired.
        Expired = "expired",
        /// The user may not do this.
        Forbidden = "forbidden",
        /// Some information was left out for privacy.
        Suppressed = "suppressed",
        /// Processing failed (the parent of the next fourteen).
        Processing = "processing",
        /// The operation or content is not supported.
        NotSupported = "not-supported",
        /// A duplicate record.
        Duplicate = "duplicate",
        /// More than one match where one was needed.
        MultipleMatches = "multiple-matches",
        /// The reference or resource was not found.
        NotFound = "not-found",
        /// The resource was deleted.
        Deleted = "deleted",
        /// The content is too long.
        TooLong = "too-long",
        /// A code is not valid.
        CodeInvalid = "code-invalid",
        /// An extension is not known or not allowed.
        Extension = "extension",
        /// The operation would cost too much.
        TooCostly = "too-costly",
        /// A business rule forbids it.
        BusinessRule = "business-rule",
        /// An edit conflict (in caretime: a lost booking race).
        Conflict = "conflict",
        /// A transient problem (the parent of the next five); try again.
        Transient = "transient",
        /// A lock could not be had.
        LockError = "lock-error",
        /// No storage is available.
        NoStore = "no-store",
        /// An unexpected internal error.
        Exception = "exception",
        /// An internal timeout.
        Timeout = "timeout",
        /// Not all data could be returned.
        Incomplete = "incomplete",
        /// The client sent too many requests.
        Throttled = "throttled",
        /// For information only, not a problem.
        Informational = "informational",
    }
}

resource! { domain
    /// Errors, warnings and information about an operation.
    #[derive(Default)]
    pub struct OperationOutcome {
        /// The issues (at least one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub issue: Vec<OperationOutcomeIssue>,
    }
}

impl OperationOutcome {
    /// An outcome of one issue.
    pub fn new(issue: OperationOutcomeIssue) -> OperationOutcome {
        OperationOutcome {
            issue: vec![issue],
            ..OperationOutcome::default()
        }
    }

    /// A failed operation: one issue of severity `error`. `diagnostics` is read by people and
    /// logged by clients, so it must not hold PHI.
    pub fn error(code: IssueType, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome::new(OperationOutcomeIssue::new(
            IssueSeverity::Error,
            code,
            diagnostics,
        ))
    }
}

/// One issue of an [`OperationOutcome`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcomeIssue {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// How bad.
    pub severity: IssueSeverity,
    /// What kind.
    pub code: IssueType,
    /// A more precise code and its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    /// Details for a person or a log. Never PHI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// Deprecated XPath locations of the problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
    /// FHIRPath expressions of where the problem is (`Appointment.participant[0].status`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

impl OperationOutcomeIssue {
    /// An issue with its diagnostics.
    pub fn new(
        severity: IssueSeverity,
        code: IssueType,
        diagnostics: impl Into<String>,
    ) -> OperationOutcomeIssue {
        OperationOutcomeIssue {
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            severity,
            code,
            details: None,
            diagnostics: Some(diagnostics.into()),
            location: Vec::new(),
            expression: Vec::new(),
        }
    }
}
