//! Hints to the processor and the system about memory a caller knows more about than they do.
//!
//! - [`prefetch`]: the simulator's event queue says, events ahead, which appointment, member and
//!   clinician row the run will read; asking for those cache lines early hides most of the
//!   memory latency of a full-scale region (millions of records, read in an order no hardware
//!   prefetcher can follow). A demand load would do the same but holds the processor up until
//!   the line arrives; a prefetch does not.
//! - [`huge_pages`]: a table of millions of records read at random (a region's members) costs a
//!   page-table walk per read when each 4 KiB page needs its own translation; backed by 2 MiB
//!   pages, a few hundred translations cover it.
//!
//! These are the workspace's only `unsafe` blocks (every other crate forbids `unsafe_code`):
//! neither reads nor writes the memory it names.

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

/// Asks for the cache line the next `push` onto `values` writes (nothing when it would grow
/// the vector: that write goes to new memory).
#[inline(always)]
pub fn prefetch_push<T>(values: &Vec<T>) {
    if values.len() < values.capacity() {
        prefetch_address(values.as_ptr().wrapping_add(values.len()).cast::<u8>());
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

/// Asks the system to back the memory of `values` (its whole capacity) with huge pages as it is
/// first written, for a large table that will be read at random. Call it on a new vector,
/// before filling it: memory already written keeps its pages. Only a hint: it reads and changes
/// nothing, and does nothing off Linux, for vectors smaller than a huge page, or where the
/// system keeps huge pages off.
pub fn huge_pages<T>(values: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        /// The x86_64 and aarch64 (4 KiB base pages) huge page.
        const HUGE: usize = 2 << 20;
        let start = values.as_ptr() as usize;
        let end = start.saturating_add(values.capacity().saturating_mul(std::mem::size_of::<T>()));
        // The whole huge pages inside the allocation.
        let (first, last) = (start.next_multiple_of(HUGE), end & !(HUGE - 1));
        if first < last {
            // SAFETY: MADV_HUGEPAGE changes how the kernel backs the range, never what it holds;
            // the range is whole pages inside the vector's live allocation. A failure (no
            // transparent huge pages) is harmless and ignored.
            #[allow(unsafe_code)]
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = values;
}

#[cfg(test)]
mod tests {
    use super::{huge_pages, prefetch, prefetch_all, prefetch_push};

    #[test]
    fn huge_pages_change_nothing() {
        // Small (no whole huge page inside) and large, before and after filling.
        for n in [0usize, 10, 3 << 20] {
            let mut values: Vec<u64> = Vec::with_capacity(n);
            huge_pages(&values);
            values.extend((0..n as u64).map(|v| v * 3));
            huge_pages(&values);
            assert!(
                values
                    .iter()
                    .enumerate()
                    .all(|(idx, &v)| v == idx as u64 * 3)
            );
        }
    }

    #[test]
    fn prefetching_changes_nothing() {
        let values = vec![[7u64; 13]; 64];
        for value in &values {
            prefetch(value);
            prefetch_all(value);
        }
        prefetch_all(&values);
        // Past the end of a vector with room, and of a full one (nothing asked).
        let mut room: Vec<u64> = Vec::with_capacity(4);
        prefetch_push(&room);
        room.push(1);
        prefetch_push(&values);
        assert!(values.iter().flatten().all(|&value| value == 7));
        assert_eq!(room, [1]);
    }
}
