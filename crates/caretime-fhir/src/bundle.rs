//! [`Bundle`]: a list of resources with a purpose ([`BundleType`]): the result of a search or
//! of `Appointment/$find` (a `searchset` with `total` and `self`/`next` links), a transaction, a
//! history. Each [`BundleEntry`] holds a [`Resource`].

use serde::{Deserialize, Serialize};

use crate::datatypes::{Decimal, Extension, Identifier};
use crate::resource::Resource;

codes! {
    /// What a Bundle is for (value set `bundle-type`, required).
    pub enum BundleType {
        /// A document: the first entry is a Composition.
        Document = "document",
        /// A message: the first entry is a MessageHeader.
        Message = "message",
        /// A transaction to process all or nothing.
        Transaction = "transaction",
        /// The answer to a transaction.
        TransactionResponse = "transaction-response",
        /// Independent requests to process each on its own.
        Batch = "batch",
        /// The answer to a batch.
        BatchResponse = "batch-response",
        /// Versions of resources.
        History = "history",
        /// The result of a search or of an operation such as `$find`.
        Searchset = "searchset",
        /// A set of resources, for any other purpose.
        Collection = "collection",
    }
}

codes! {
    /// Why an entry is in a searchset (value set `search-entry-mode`, required).
    pub enum SearchEntryMode {
        /// It matched the search.
        Match = "match",
        /// It was included (`_include`) for a match.
        Include = "include",
        /// An OperationOutcome about the search.
        Outcome = "outcome",
    }
}

resource! { base
    /// A list of resources with a purpose.
    pub struct Bundle {
        /// A persistent identifier of the bundle.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub identifier: Option<Identifier>,
        /// What it is for.
        #[serde(rename = "type")]
        pub type_: BundleType,
        /// When it was assembled (an instant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<String>,
        /// For a searchset: how many resources match in all, over every page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub total: Option<u32>,
        /// Links: `self`, `next`, `previous`, `first`, `last`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub link: Vec<BundleLink>,
        /// The entries.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub entry: Vec<BundleEntry>,
    }
}

impl Bundle {
    /// An empty bundle of a type.
    pub fn new(type_: BundleType) -> Bundle {
        Bundle {
            id: None,
            meta: None,
            implicit_rules: None,
            language: None,
            identifier: None,
            type_,
            timestamp: None,
            total: None,
            link: Vec::new(),
            entry: Vec::new(),
        }
    }

    /// A page of search results: `total` matches in all (over every page), these `entries` on
    /// this page, and the `self` link. Add a `next` link with [`Bundle::with_link`] when there
    /// is another page.
    pub fn searchset(total: u32, self_url: impl Into<String>, entries: Vec<BundleEntry>) -> Bundle {
        Bundle {
            total: Some(total),
            link: vec![BundleLink::new("self", self_url)],
            entry: entries,
            ..Bundle::new(BundleType::Searchset)
        }
    }

    /// The same bundle with one more link (`next`, `previous`, ...).
    pub fn with_link(mut self, relation: impl Into<String>, url: impl Into<String>) -> Bundle {
        self.link.push(BundleLink::new(relation, url));
        self
    }

    /// The URL of the first link with this relation (`self`, `next`, ...).
    pub fn link_url(&self, relation: &str) -> Option<&str> {
        self.link
            .iter()
            .find(|link| link.relation == relation)
            .map(|link| link.url.as_str())
    }

    /// The entries' resources, in order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.entry
            .iter()
            .filter_map(|entry| entry.resource.as_ref())
    }
}

/// A link from a bundle or an entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleLink {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The relation (an IANA link relation: `self`, `next`, ...).
    pub relation: String,
    /// The URL.
    pub url: String,
}

impl BundleLink {
    /// A link.
    pub fn new(relation: impl Into<String>, url: impl Into<String>) -> BundleLink {
        BundleLink {
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            relation: relation.into(),
            url: url.into(),
        }
    }
}

/// One entry of a bundle: a resource, and for searches, transactions and histories, how it
/// came to be there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Links about this entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// The resource's absolute URL (`https://example.org/fhir/Appointment/17`), or a `urn:uuid:`
    /// for one not yet stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// The resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Why it is in a searchset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<BundleEntrySearch>,
    /// The request, in a transaction, batch or history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleEntryRequest>,
    /// The result, in a transaction-response, batch-response or history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<BundleEntryResponse>,
}

impl BundleEntry {
    /// A searchset entry for a resource that matched, at its absolute URL.
    pub fn matched(full_url: impl Into<String>, resource: impl Into<Resource>) -> BundleEntry {
        BundleEntry {
            full_url: Some(full_url.into()),
            resource: Some(resource.into()),
            search: Some(BundleEntrySearch {
                mode: Some(SearchEntryMode::Match),
                ..BundleEntrySearch::default()
            }),
            ..BundleEntry::default()
        }
    }
}

/// Why an entry is in a searchset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntrySearch {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// Match, include or outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<SearchEntryMode>,
    /// The search ranking, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Decimal>,
}

/// The request an entry stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntryRequest {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// `GET`, `HEAD`, `POST`, `PUT`, `DELETE` or `PATCH`.
    pub method: String,
    /// The URL, relative to the server's base (`Appointment/17`).
    pub url: String,
    /// For a conditional read: `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_none_match: Option<String>,
    /// For a conditional read: `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_modified_since: Option<String>,
    /// For an update: `If-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    /// For a conditional create: `If-None-Exist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
}

/// The result of the request an entry stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntryResponse {
    /// Extensions, kept as their JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// Extensions that change the meaning of the element; kept and written back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_extension: Vec<Extension>,
    /// The HTTP status (`201 Created`, or the code alone).
    pub status: String,
    /// Where the resource is, when created or updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The resource's ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When the resource last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// An OperationOutcome about the request. Boxed: a Resource may be a Bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Box<Resource>>,
}
