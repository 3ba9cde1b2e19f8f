//! Every error the API answers with: a status and a FHIR OperationOutcome whose diagnostics
//! never hold a member's data (names, birth dates, member numbers), only ids and field names.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use caretime_fhir::outcome::{IssueType, OperationOutcome};
use caretime_store::StoreError;

/// The media type of every FHIR body the server writes.
pub const FHIR_JSON: &str = "application/fhir+json";

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid token (401, `login`).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller's role may not do this (403, `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (404, `not-found`).
    #[error("{0}")]
    NotFound(String),
    /// The request is not valid (400, `invalid`).
    #[error("{0}")]
    Invalid(String),
    /// Another request's commit made this one impossible (409, `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// The engine refused the decision by a rule (422, `business-rule`): every reason.
    #[error("refused: {0}")]
    Refused(String),
    /// The database failed (500, `exception`); the client sees no detail, the log does.
    #[error("the database failed")]
    Store(#[from] StoreError),
    /// Something the server should not have let happen (500, `exception`).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status and the OperationOutcome issue code.
    pub fn status_and_code(&self) -> (StatusCode, IssueType) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, IssueType::Login),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, IssueType::Forbidden),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, IssueType::NotFound),
            ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, IssueType::Invalid),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, IssueType::Conflict),
            ApiError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, IssueType::BusinessRule),
            ApiError::Store(_) | ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, IssueType::Exception)
            }
        }
    }
}

/// An OperationOutcome body with one error issue.
pub fn outcome_response(status: StatusCode, code: IssueType, diagnostics: &str) -> Response {
    let body = caretime_fhir::to_json(&OperationOutcome::error(code, diagnostics));
    (status, [(header::CONTENT_TYPE, FHIR_JSON)], body).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            // Store errors name tables and ids, never member data (StoreError's contract).
            let detail = match &self {
                ApiError::Store(error) => error.to_string(),
                other => other.to_string(),
            };
            tracing::error!(error = %detail, "request failed");
        }
        outcome_response(status, code, &self.to_string())
    }
}
