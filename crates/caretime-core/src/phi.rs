//! Protected health information that cannot leak through `Debug` or `Display`.

use std::fmt;

/// A value that is protected health information (a name, a birth date, a plan member number, a
/// home location).
///
/// `Phi` has no `Display`, and its `Debug` prints `[phi]`, so a `{:?}` of a struct that holds a
/// member can go into a log or an error message without leaking the member. Reading the value is
/// explicit: [`Phi::expose`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Phi<T>(T);

impl<T> Phi<T> {
    /// Wraps a value as PHI.
    pub fn new(value: T) -> Self {
        Phi(value)
    }

    /// The value itself; call it only where the value is meant to be shown to an authorised user
    /// or stored.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Phi<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[phi]")
    }
}

#[cfg(test)]
mod tests {
    use super::Phi;

    #[test]
    fn debug_never_shows_the_value() {
        let name = Phi::new(String::from("Maria Lopez"));
        assert_eq!(format!("{name:?}"), "[phi]");
        assert_eq!(name.expose(), "Maria Lopez");
    }
}
