//! Kebab-case names for the domain's enums, as written in files, the CLI and the API.

/// An enum whose variants each have one kebab-case name (`follow-up`, `urgent-hold`).
pub trait Slug: Copy + 'static {
    /// Every variant, in a fixed order.
    const VARIANTS: &'static [Self];

    /// The variant's name.
    fn slug(self) -> &'static str;

    /// Every variant's name, comma-separated, for an error that lists what is accepted.
    fn names() -> String {
        let names: Vec<&str> = Self::VARIANTS
            .iter()
            .map(|variant| variant.slug())
            .collect();
        names.join(", ")
    }

    /// The variant named `name`, if any.
    fn from_slug(name: &str) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|variant| variant.slug() == name)
    }
}
