//! `GET /openapi.json`: every route as OpenAPI 3.1, built with utoipa from the same tables that
//! `GET /metadata` is built from ([`crate::rest::SUPPORTED`] and [`crate::rest::OPERATIONS`]),
//! plus the routes that are not FHIR interactions ([`OTHER_ROUTES`]). A test reads the routers'
//! source and checks that every route they serve is in the document and nothing else is.
//!
//! Bodies are FHIR JSON, described loosely (an object with a `resourceType`): the FHIR
//! specification, not this document, defines them. Every error is an OperationOutcome, and the
//! document says so for every route, so a generic client or a fuzzer (schemathesis) can check it.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    Required, ResponseBuilder, ResponsesBuilder, Schema,
};

use crate::error::FHIR_JSON;
use crate::rest::{OPERATIONS, SUPPORTED};

/// A route that is not a FHIR interaction: method, path, summary, whether it needs a token,
/// its query parameters (name, description) and the content type of its answer.
type OtherRoute = (
    HttpMethod,
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const SINCE: (&str, &str) = (
    "_since",
    "only what changed after this instant (RFC 3339), as SMART Scheduling Links defines",
);

/// The routes besides the FHIR interactions and operations.
const OTHER_ROUTES: [OtherRoute; 9] = [
    (
        HttpMethod::Get,
        "/health",
        "Liveness: `ok`",
        false,
        &[],
        "text/plain",
    ),
    (
        HttpMethod::Get,
        "/metrics",
        "Prometheus metrics (OpenMetrics text): requests, durations, decisions; no member data",
        false,
        &[],
        "application/openmetrics-text",
    ),
    (
        HttpMethod::Get,
        "/openapi.json",
        "This document",
        false,
        &[],
        "application/json",
    ),
    (
        HttpMethod::Get,
        "/metadata",
        "The CapabilityStatement: exactly what this server supports",
        false,
        &[],
        FHIR_JSON,
    ),
    (
        HttpMethod::Get,
        "/Practitioner/{id}/calendar.ics",
        "A clinician's weeks as iCalendar (RFC 5545): appointments, groups, protected time",
        true,
        &[
            (
                "from",
                "the first week's date (YYYY-MM-DD; default: this week's Monday)",
            ),
            ("weeks", "how many weeks, 1 to 26 (default 4)"),
            (
                "token",
                "a calendar feed token (`caretime user feed`), instead of the Authorization header",
            ),
        ],
        "text/calendar",
    ),
    (
        HttpMethod::Get,
        "/$bulk-publish",
        "SMART Scheduling Links manifest (public)",
        false,
        &[SINCE],
        "application/json",
    ),
    (
        HttpMethod::Get,
        "/bulk/Location.ndjson",
        "Locations, one FHIR resource a line (public)",
        false,
        &[SINCE],
        "application/fhir+ndjson",
    ),
    (
        HttpMethod::Get,
        "/bulk/Schedule.ndjson",
        "Schedules, one FHIR resource a line (public)",
        false,
        &[SINCE],
        "application/fhir+ndjson",
    ),
    (
        HttpMethod::Get,
        "/bulk/Slot.ndjson",
        "Free and busy Slots over the book's horizon, one a line (public)",
        false,
        &[SINCE],
        "application/fhir+ndjson",
    ),
];

/// The document, built once.
pub(crate) fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document().to_json().unwrap_or_default(),
    )
        .into_response()
}

fn schema(value: serde_json::Value) -> Schema {
    // The schemas here are literal JSON Schema; each one parses (checked by the tests).
    serde_json::from_value(value).unwrap_or_default()
}

/// Any FHIR resource of `kind` (or of any type).
fn resource_schema(kind: Option<&str>) -> Schema {
    let resource_type = match kind {
        Some(kind) => json!({ "type": "string", "const": kind }),
        None => json!({ "type": "string" }),
    };
    schema(json!({
        "type": "object",
        "required": ["resourceType"],
        "properties": { "resourceType": resource_type },
    }))
}

fn fhir_content(kind: Option<&str>) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(resource_schema(kind)))
        .build()
}

/// An operation answering `ok` (its content type and schema) or an OperationOutcome.
fn operation(
    summary: &str,
    id: String,
    secured: bool,
    ok: (&str, utoipa::openapi::Content),
) -> OperationBuilder {
    let responses = ResponsesBuilder::new()
        .response(
            "200",
            ResponseBuilder::new()
                .description("The answer")
                .content(ok.0, ok.1),
        )
        .response(
            "default",
            ResponseBuilder::new()
                .description("An error: an OperationOutcome with a code and a diagnostics text")
                .content(
                    FHIR_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("OperationOutcome")))
                        .build(),
                ),
        );
    let mut builder = OperationBuilder::new()
        .summary(Some(summary))
        .operation_id(Some(id))
        .responses(responses.build());
    if secured {
        builder = builder.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
    }
    builder
}

fn query(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema(json!({ "type": "string" }))))
        .build()
}

fn id_parameter() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(schema(json!({ "type": "string" }))))
        .build()
}

/// Every route with its method, as the document lists them (for the coverage test).
fn routes() -> Vec<(HttpMethod, String, OperationBuilder)> {
    let mut routes = Vec::new();
    for (kind, interactions, params) in SUPPORTED {
        for interaction in interactions {
            match *interaction {
                "read" => routes.push((
                    HttpMethod::Get,
                    format!("/{kind}/{{id}}"),
                    operation(
                        &format!("Read a {kind}"),
                        format!("read{kind}"),
                        true,
                        (FHIR_JSON, fhir_content(Some(kind))),
                    )
                    .parameter(id_parameter()),
                )),
                "search-type" => {
                    let mut search = operation(
                        &format!("Search {kind}: a searchset Bundle with paging links"),
                        format!("search{kind}"),
                        true,
                        (FHIR_JSON, fhir_content(Some("Bundle"))),
                    );
                    for (name, kind) in params {
                        search = search.parameter(query(name, &format!("a FHIR {kind} parameter")));
                    }
                    routes.push((HttpMethod::Get, format!("/{kind}"), search));
                }
                "patch" => routes.push((
                    HttpMethod::Patch,
                    format!("/{kind}/{{id}}"),
                    operation(
                        &format!("Cancel a {kind} with a JSON Patch of /status (Argonaut)"),
                        format!("patch{kind}"),
                        true,
                        (FHIR_JSON, fhir_content(Some("Bundle"))),
                    )
                    .parameter(id_parameter())
                    .request_body(Some(
                        RequestBodyBuilder::new()
                            .required(Some(Required::True))
                            .content(
                                "application/json-patch+json",
                                ContentBuilder::new()
                                    .schema(Some(schema(json!({
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["op", "path"],
                                            "properties": {
                                                "op": { "type": "string" },
                                                "path": { "type": "string" },
                                                "value": {},
                                            },
                                        },
                                    }))))
                                    .build(),
                            )
                            .build(),
                    )),
                )),
                _ => {}
            }
        }
    }
    for (name, definition) in OPERATIONS {
        routes.push((
            HttpMethod::Post,
            format!("/Appointment/${name}"),
            operation(
                &format!("IHE ITI Scheduling ${name} ({definition})"),
                format!("appointment{}", name[..1].to_uppercase() + &name[1..]),
                true,
                (FHIR_JSON, fhir_content(Some("Bundle"))),
            )
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(FHIR_JSON, fhir_content(Some("Parameters")))
                    .build(),
            )),
        ));
    }
    for (method, path, summary, secured, params, content) in OTHER_ROUTES {
        let ok = if content == FHIR_JSON {
            fhir_content(Some("CapabilityStatement"))
        } else if content == "application/json" {
            ContentBuilder::new()
                .schema(Some(schema(json!({ "type": "object" }))))
                .build()
        } else {
            ContentBuilder::new()
                .schema(Some(schema(json!({ "type": "string" }))))
                .build()
        };
        let id = path
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        let mut built = operation(summary, format!("get_{id}"), secured, (content, ok));
        if path.contains("{id}") {
            built = built.parameter(id_parameter());
        }
        for (name, description) in params {
            built = built.parameter(query(name, description));
        }
        routes.push((method, path.to_owned(), built));
    }
    routes
}

fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (method, path, operation) in routes() {
        paths = paths.path(path, PathItem::new(method, operation.build()));
    }
    let outcome = schema(json!({
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": { "type": "string", "const": "OperationOutcome" },
            "issue": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["severity", "code"],
                    "properties": {
                        "severity": { "type": "string" },
                        "code": { "type": "string" },
                        "diagnostics": { "type": "string" },
                    },
                },
            },
        },
    }));
    let components = ComponentsBuilder::new()
        .schema("OperationOutcome", outcome)
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An opaque token from `caretime user add NAME --role R`",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("caretime")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Timely access to mental health care: FHIR R4 reads and searches, the IHE \
                     ITI Scheduling operations, SMART Scheduling Links and iCalendar. Every \
                     error is a FHIR OperationOutcome.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(METHOD, path)` of every `.route(...)` in the routers' source.
    fn served() -> BTreeSet<(String, String)> {
        let sources = [
            include_str!("lib.rs"),
            include_str!("rest.rs"),
            include_str!("ops.rs"),
            include_str!("calendar.rs"),
            include_str!("slots.rs"),
            include_str!("directory.rs"),
            include_str!("publish.rs"),
        ];
        let mut served = BTreeSet::new();
        for source in sources {
            for piece in source.split(".route(\"").skip(1) {
                let Some((path, rest)) = piece.split_once('"') else {
                    continue;
                };
                let rest = rest.trim_start_matches([',', ' ', '\n']);
                let method = rest.split('(').next().unwrap_or_default().trim();
                served.insert((method.to_uppercase(), path.to_owned()));
            }
        }
        served
    }

    #[test]
    fn the_document_lists_every_route_served_and_nothing_else() {
        let served = served();
        assert!(served.len() >= 25, "{served:?}");
        let documented: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|(method, path, _)| {
                let method = match method {
                    HttpMethod::Get => "GET",
                    HttpMethod::Post => "POST",
                    HttpMethod::Patch => "PATCH",
                    _ => "OTHER",
                };
                (method.to_owned(), path)
            })
            .collect();
        assert_eq!(documented, served);
    }

    #[test]
    fn the_document_is_openapi_3_1_with_outcomes_for_errors() {
        let json: serde_json::Value =
            serde_json::from_str(&document().to_json().expect("JSON")).expect("parses");
        assert!(
            json["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1"))
        );
        let find = &json["paths"]["/Appointment/$find"]["post"];
        assert_eq!(
            find["responses"]["default"]["content"][FHIR_JSON]["schema"]["$ref"],
            "#/components/schemas/OperationOutcome"
        );
        assert_eq!(find["security"][0]["bearer"], json!([]));
        assert_eq!(
            json["paths"]["/Slot"]["get"]["parameters"]
                .as_array()
                .map(Vec::len),
            Some(5)
        );
        assert!(json["paths"]["/metadata"]["get"]["security"].is_null());
        // Every schema given as literal JSON parsed (a failure would give an empty schema).
        assert_eq!(
            json["components"]["schemas"]["OperationOutcome"]["required"],
            json!(["resourceType", "issue"])
        );
    }
}
