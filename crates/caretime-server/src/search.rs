//! What the FHIR searches of `slots` and `directory` share: `_count` and `_offset`, references
//! in parameters, and a searchset Bundle with `total` and `self`/`next` links.

use caretime_fhir::bundle::{Bundle, BundleEntry};

use crate::error::ApiError;

/// Entries a page holds unless `_count` says otherwise, and at most.
pub(crate) const DEFAULT_COUNT: usize = 100;
pub(crate) const MAX_COUNT: usize = 1_000;

/// `_count` and `_offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) count: usize,
    pub(crate) offset: usize,
}

impl Default for Paging {
    fn default() -> Paging {
        Paging {
            count: DEFAULT_COUNT,
            offset: 0,
        }
    }
}

impl Paging {
    /// Takes `key` if it is `_count` or `_offset` (true), refusing a bad value.
    pub(crate) fn take(&mut self, key: &str, value: &str) -> Result<bool, ApiError> {
        match key {
            "_count" => {
                self.count = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| {
                        ApiError::Invalid(format!("_count is between 1 and {MAX_COUNT}"))
                    })?;
                Ok(true)
            }
            "_offset" => {
                self.offset = value
                    .parse()
                    .map_err(|_| ApiError::Invalid("_offset is a whole number".into()))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The 400 for a search parameter the route does not take (its name cut to 40 characters).
pub(crate) fn unknown(name: &str) -> ApiError {
    ApiError::Invalid(format!(
        "unknown search parameter `{}`: GET /metadata lists them",
        name.chars().take(40).collect::<String>()
    ))
}

/// `Type/123` or `123` as a number; `parameter` names it in the error.
pub(crate) fn reference_id(text: &str, kind: &str, parameter: &str) -> Result<u32, ApiError> {
    let id = text
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(text);
    id.parse().map_err(|_| {
        ApiError::Invalid(format!(
            "{parameter} references a {kind} by id, such as {kind}/42"
        ))
    })
}

/// The page `paging` asks for of every entry that matched, as a searchset Bundle: `total`
/// counts them all, `self` is this page's query and `next` the following page's, if any.
/// `entries` may be lazy: only the page's are made.
pub(crate) fn searchset(
    path: &str,
    params: &[(&str, String)],
    paging: Paging,
    entries: impl IntoIterator<Item = BundleEntry, IntoIter: ExactSizeIterator>,
) -> Bundle {
    let entries = entries.into_iter();
    let total = entries.len();
    let url = |offset: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
            query.append_pair(name, value);
        }
        query.append_pair("_count", &paging.count.to_string());
        query.append_pair("_offset", &offset.to_string());
        format!("{path}?{}", query.finish())
    };
    let page = entries
        .into_iter()
        .skip(paging.offset)
        .take(paging.count)
        .collect();
    let mut bundle = Bundle::searchset(
        u32::try_from(total).unwrap_or(u32::MAX),
        url(paging.offset),
        page,
    );
    if paging.offset.saturating_add(paging.count) < total {
        bundle = bundle.with_link("next", url(paging.offset + paging.count));
    }
    bundle
}
