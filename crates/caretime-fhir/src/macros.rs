//! The two declarations every resource and code shares, written once.

/// Declares a FHIR resource type: the struct with the fields every resource has (`id`, `meta`,
/// `implicitRules`, `language`) before its own, `resourceType` written first on output, and its
/// [`crate::resource::FhirResource`] impl. `domain` adds the fields of a DomainResource (`text`,
/// `contained`, `extension`, `modifierExtension`); Bundle and Parameters are plain resources.
///
/// Every field follows one rule: optional and repeated elements are `Option` and `Vec` with
/// `#[serde(default, skip_serializing_if = ...)]`, so that nothing empty is written; required
/// elements are bare and must be present on input.
macro_rules! resource {
    (
        $kind:ident
        $(#[$attr:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident: $ty:ty,
            )*
        }
    ) => {
        resource!(@fields $kind
            $(#[$attr])*
            #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
            // On a struct, `tag` writes `"resourceType": "<name>"` before the fields and is
            // ignored on input; `Resource`'s reader checks the type before it gets here.
            #[serde(tag = "resourceType", rename_all = "camelCase")]
            pub struct $name {
                $(
                    $(#[$field_attr])*
                    pub $field: $ty,
                )*
            }
        );

        impl $crate::resource::FhirResource for $name {
            const RESOURCE_TYPE: &'static str = stringify!($name);

            fn from_resource(
                resource: $crate::resource::Resource,
            ) -> Result<Self, $crate::resource::Resource> {
                match resource {
                    $crate::resource::Resource::$name(inner) => Ok(*inner),
                    other => Err(other),
                }
            }
        }

        impl From<$name> for $crate::resource::Resource {
            fn from(inner: $name) -> Self {
                $crate::resource::Resource::$name(Box::new(inner))
            }
        }
    };

    (@fields base
        $(#[$attr:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $(#[$attr])*
        pub struct $name {
            /// The logical id on the server that holds it (up to 64 of `A-Za-z0-9-.`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            /// Version id, last update, profiles, security labels and tags.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub meta: Option<$crate::datatypes::Meta>,
            /// A URI of rules the content was written under; a reader that does not know them
            /// should not process the resource.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub implicit_rules: Option<String>,
            /// The language of the resource's text (BCP 47, e.g. `en-US`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub language: Option<String>,
            $($body)*
        }
    };

    (@fields domain
        $(#[$attr:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        resource!(@fields base
            $(#[$attr])*
            pub struct $name {
                /// The human-readable summary (XHTML), as given.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub text: Option<$crate::datatypes::Narrative>,
                /// Resources that exist only inside this one (referenced as `#id`).
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub contained: Vec<$crate::resource::Resource>,
                /// Extensions, kept as their JSON and written back.
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub extension: Vec<$crate::datatypes::Extension>,
                /// Extensions that change the meaning of the resource; kept and written back.
                #[serde(default, skip_serializing_if = "Vec::is_empty")]
                pub modifier_extension: Vec<$crate::datatypes::Extension>,
                $($body)*
            }
        );
    };
}

/// Declares a code from a required FHIR value set as a Rust enum: each variant with its code,
/// `code()`, `ALL`, and serde by the code. An unknown code on input is an error naming the
/// allowed ones (never the code that was sent).
macro_rules! codes {
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $(
                $(#[$variant_attr:meta])*
                $variant:ident = $code:literal,
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(
                $(#[$variant_attr])*
                #[serde(rename = $code)]
                $variant,
            )*
        }

        impl $name {
            /// Every code, in the value set's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The code as FHIR spells it.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
