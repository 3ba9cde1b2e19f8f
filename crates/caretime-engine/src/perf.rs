//! Cache hints for a caller that knows, some work ahead, which records it will read: the
//! simulator's read-ahead, which sees its next events and the appointments, episodes and rows of
//! free time they will touch.
//!
//! Not part of the booking API: the server and the CLI never need these. Each one only asks for
//! memory to be brought near the processor ([`caretime_hint::prefetch`]); none reads or changes
//! the book, so a caller that drops them gets the same results, only later. Each was kept because a
//! same-run A/B showed it beats the noise, and the hints together still do (`bench/NOTES.md`).

use caretime_core::id::{AppointmentId, ClinicianId, EpisodeId};

use crate::availability::{Availability, Minute};
use crate::book::Book;

/// Asks for the appointment's brief and its episode's number, for a caller that will read the
/// brief ([`Book::appointment_brief`]).
pub fn prefetch_appointment(book: &Book, id: AppointmentId) {
    book.prefetch_appointment(id);
}

/// Asks for an episode's record ([`Book::episodes`]).
pub fn prefetch_episode(book: &Book, id: EpisodeId) {
    book.prefetch_episode(id);
}

/// Asks for the word of the clinician's row of free direct time that holds the first slot at or
/// after `minute`, and the counts of its week, for a caller about to search the row there.
pub fn prefetch_direct_row(availability: &Availability, clinician: ClinicianId, minute: Minute) {
    availability.prefetch_direct_row(clinician, minute);
}

/// Asks for where booking an appointment with `clinician` writes besides the appointment
/// itself (the end of the clinician's list of appointments), for a caller that has found the
/// time and will book it after some work.
pub fn prefetch_booking(book: &Book, clinician: ClinicianId) {
    book.prefetch_booking(clinician);
}
