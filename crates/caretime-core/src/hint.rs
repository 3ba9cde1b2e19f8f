//! A cache hint for code that knows which records it will read next.
//!
//! The simulator's event queue says, events ahead, which appointment, member and clinician row
//! the run will read; asking for those cache lines early hides most of the memory latency of a
//! full-scale region (millions of records, read in an order no hardware prefetcher can follow).
//! A demand load would do the same but holds the processor up until the line arrives; a
//! prefetch does not.

/// The cache line size of the machines caretime runs on (x86_64 and aarch64 servers).
const LINE: usize = 64;

/// Asks for the cache line holding the start of `value` to be brought near the processor, for a
/// read soon.
///
/// Only a hint: it reads nothing, changes nothing and cannot fail (on targets without one, it
/// does nothing).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    prefetch_address(std::ptr::from_ref(value).cast::<u8>());
}

/// Like [`prefetch`], for every cache line `value` covers (a record larger than a line, or one
/// that straddles two).
#[inline(always)]
pub fn prefetch_all<T>(value: &T) {
    let first = std::ptr::from_ref(value).cast::<u8>();
    let size = std::mem::size_of::<T>().max(1);
    // The lines holding bytes `0` and `size - 1` of the value, and every line between.
    let lines = ((first as usize % LINE) + size - 1) / LINE + 1;
    for line in 0..lines {
        prefetch_address(first.wrapping_add(line * LINE));
    }
}

#[inline(always)]
fn prefetch_address(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs the `sse` target feature, which every x86_64 target has (it
    // is in the x86_64 baseline), and a prefetch never dereferences its address: it cannot fault
    // whatever the address, and callers pass addresses within a live value.
    #[allow(unsafe_code)]
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::{prefetch, prefetch_all};

    #[test]
    fn prefetching_changes_nothing() {
        let values = vec![[7u64; 13]; 64];
        for value in &values {
            prefetch(value);
            prefetch_all(value);
        }
        prefetch_all(&values);
        assert!(values.iter().flatten().all(|&value| value == 7));
    }
}
