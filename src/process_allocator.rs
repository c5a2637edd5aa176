//! The allocator of the `relaygen` process (Linux): one mapping, handed out front to back;
//! only the newest block is ever taken back.
//!
//! A render is a millisecond-long process that allocates ~1,800 small blocks (0.5 MB in all)
//! and then exits. Measured on the shipped binary (README, Performance), glibc's malloc and
//! free were 15% of its user time, and every fresh 4 KiB heap page cost a page fault (81 of
//! them, ~1.2 µs each on our VM). This allocator instead bumps a pointer through one
//! anonymous mapping and asks the kernel to fill its pages 64 KiB at a time
//! (`MADV_POPULATE_WRITE`), one system call instead of sixteen faults. Freeing the newest block
//! hands it out again (temporary strings); freeing any other block does nothing: the kernel
//! reclaims the whole mapping when the process exits, which is also what
//! [`crate::Teardown::Leave`] relies on.
//!
//! Only the binary installs it (`src/main.rs`); the library, its tests and benchmarks use the
//! system allocator. Bounded: past [`ProcessAllocator::RESERVE`] bytes, or for blocks of
//! [`ProcessAllocator::LARGE`] bytes and more, it hands over to the system allocator, so a
//! long command degrades to the ordinary allocator rather than failing. The price of never
//! reusing older blocks is memory that grows with the work, about 0.3 MiB per profile for
//! `render --all-profiles`, until the reserve (16 MiB) is used up.

#![allow(unsafe_code, reason = "an allocator maps memory and hands out raw pointers")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::mm;

/// A bump allocator over one lazily created anonymous mapping; see the module documentation.
#[derive(Debug)]
pub struct ProcessAllocator {
    /// Address of the mapping; 0 before the first allocation, [`UNMAPPED`] if mapping failed.
    base: AtomicUsize,
    /// Offset of the first free byte.
    next: AtomicUsize,
    /// Bytes from the start whose pages have been populated.
    populated: AtomicUsize,
    /// Size of the mapping (address space only until pages are populated or touched).
    reserve: usize,
}

/// `base` after a failed `mmap`: every allocation goes to the system allocator.
const UNMAPPED: usize = usize::MAX;

/// Pages are populated this many bytes at a time.
const POPULATE_CHUNK: usize = 64 << 10;

impl ProcessAllocator {
    /// Address space reserved for the arena. A render uses about 0.5 MiB, `check` over three
    /// profiles about 1 MiB; what is never used costs nothing. It also caps what never-reused
    /// blocks can cost: past it, a long `--all-profiles` run goes on with the system allocator.
    pub const RESERVE: usize = 16 << 20;

    /// Blocks at least this large come from the system allocator, which can return them.
    pub const LARGE: usize = 1 << 20;

    /// The allocator for the process. Its mapping is never unmapped: make one, as a
    /// `static`, for the whole process.
    pub const fn new() -> Self {
        Self::with_reserve(Self::RESERVE)
    }

    /// An allocator over a mapping of `reserve` bytes (tests use small ones).
    const fn with_reserve(reserve: usize) -> Self {
        ProcessAllocator {
            base: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            populated: AtomicUsize::new(0),
            reserve,
        }
    }

    /// True if `ptr` points into the arena.
    fn owns(&self, ptr: *mut u8) -> bool {
        let base = self.base.load(Ordering::Acquire);
        let addr = ptr as usize;
        base != 0 && base != UNMAPPED && addr >= base && addr < base + self.reserve
    }

    /// The mapping's address, mapping it on first use; `None` if the kernel refused.
    fn base(&self) -> Option<usize> {
        let base = self.base.load(Ordering::Acquire);
        if base == UNMAPPED {
            return None;
        }
        if base != 0 {
            return Some(base);
        }
        // SAFETY: an anonymous private mapping at an address of the kernel's choice touches no
        // existing memory; MAP_NORESERVE because most of it is never used.
        let mapped = unsafe {
            mm::mmap_anonymous(
                ptr::null_mut(),
                self.reserve,
                mm::ProtFlags::READ | mm::ProtFlags::WRITE,
                mm::MapFlags::PRIVATE | mm::MapFlags::NORESERVE,
            )
        };
        if let Ok(mapped) = mapped {
            // Where transparent huge pages are on for every mapping ("always", the default of
            // e.g. RHEL and Fedora), the first populate would fault in, and zero, a whole 2 MiB
            // page: milliseconds and 2 MiB of RSS. An old kernel refusing the advice is harmless.
            // SAFETY: advice on the mapping made above; it changes no contents.
            let _ = unsafe { mm::madvise(mapped, self.reserve, mm::Advice::LinuxNoHugepage) };
        }
        let new = mapped.map_or(UNMAPPED, |mapped| mapped as usize);
        match self.base.compare_exchange(0, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => (new != UNMAPPED).then_some(new),
            Err(winner) => {
                // Another thread mapped first: use its mapping, give ours back.
                if let Ok(mapped) = mapped {
                    // SAFETY: `mapped` is the mapping made above, of `reserve` bytes, never
                    // handed out.
                    let _ = unsafe { mm::munmap(mapped, self.reserve) };
                }
                (winner != UNMAPPED).then_some(winner)
            }
        }
    }

    /// Makes sure the pages of `[0, end)` are populated, 64 KiB at a time.
    fn populate_to(&self, base: usize, end: usize) {
        let mut done = self.populated.load(Ordering::Relaxed);
        while done < end {
            let upto = (end.next_multiple_of(POPULATE_CHUNK)).min(self.reserve);
            match self.populated.compare_exchange_weak(done, upto, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    // SAFETY: `[base + done, base + upto)` lies inside the mapping. A kernel
                    // without MADV_POPULATE_WRITE (before Linux 5.14) answers EINVAL and the
                    // pages are faulted in on first touch instead, as usual.
                    let _ = unsafe {
                        mm::madvise((base + done) as *mut c_void, upto - done, mm::Advice::LinuxPopulateWrite)
                    };
                    return;
                }
                Err(current) => done = current,
            }
        }
    }

    /// Carves `layout` out of the arena; `None` when it does not fit or there is no arena.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        if layout.size() >= Self::LARGE {
            return None;
        }
        let base = self.base()?;
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            // Alignments are powers of two: a mask, not a division.
            let start = ((base + next + layout.align() - 1) & !(layout.align() - 1)) - base;
            let end = start.checked_add(layout.size())?;
            if end > self.reserve {
                return None;
            }
            // Acquire pairs with the Release of a `dealloc` that gave this range back, so the
            // freeing thread's writes to it happen before ours.
            match self.next.compare_exchange_weak(next, end, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => {
                    self.populate_to(base, end);
                    return Some((base + start) as *mut u8);
                }
                Err(current) => next = current,
            }
        }
    }
}

impl Default for ProcessAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every block handed out is a suitably aligned range of the mapping that no live block
// overlaps, or comes from `System`. Live arena blocks all lie below `next`, which moves (by
// compare-and-swap) forward over a new block, and back only over the block ending exactly at
// it when that block's owner frees or resizes it. Blocks are only given back to `System` if
// they came from it ([`ProcessAllocator::owns`]).
unsafe impl GlobalAlloc for ProcessAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(block) => block,
            // SAFETY: the caller's contract for `layout` is passed on unchanged.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.owns(ptr) {
            // The newest block is handed out again (a temporary string or buffer freed right
            // away); any other arena block is reclaimed with the process.
            let start = ptr as usize - self.base.load(Ordering::Acquire);
            let _ = self.next.compare_exchange(start + layout.size(), start, Ordering::Release, Ordering::Relaxed);
        } else {
            // SAFETY: `ptr` came from `System` with this layout (it is not ours).
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) && new_size >= Self::LARGE {
            // SAFETY: `ptr` came from `System` with `layout`; the caller's contract holds.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        if self.owns(ptr) {
            let base = self.base.load(Ordering::Acquire);
            let end = ptr as usize - base + layout.size();
            // The newest block grows (or shrinks) in place; a growing string or vector that is
            // the last thing allocated never copies.
            if new_size < Self::LARGE {
                let new_end = ptr as usize - base + new_size;
                if new_end <= self.reserve
                    && self.next.compare_exchange(end, new_end, Ordering::AcqRel, Ordering::Relaxed).is_ok()
                {
                    self.populate_to(base, new_end);
                    return ptr;
                }
            }
            if new_size <= layout.size() {
                return ptr;
            }
        }
        // SAFETY: `layout.align()` is valid and `new_size` comes from the caller's contract.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and distinct.
            unsafe {
                ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("a valid layout")
    }

    #[test]
    fn blocks_are_aligned_and_do_not_overlap() {
        let arena = ProcessAllocator::with_reserve(64 << 20);
        let mut blocks = Vec::new();
        // Alignments beyond the page size too: the arena aligns addresses, not offsets.
        for (i, align) in [1, 8, 16, 64, 4096, 2, 32, 1 << 16, 1 << 21].into_iter().cycle().take(90).enumerate() {
            let size = 1 + i * 7 % 300;
            // SAFETY: non-zero size.
            let block = unsafe { arena.alloc(layout(size, align)) };
            assert!(!block.is_null());
            assert_eq!(block as usize % align, 0, "block {i} misaligned");
            assert!(arena.owns(block));
            // SAFETY: the block is `size` bytes.
            unsafe { ptr::write_bytes(block, i as u8, size) };
            blocks.push((block as usize, size, i as u8));
        }
        blocks.sort_unstable();
        for pair in blocks.windows(2) {
            assert!(pair[0].0 + pair[0].1 <= pair[1].0, "blocks overlap");
        }
        for (block, size, fill) in blocks {
            // SAFETY: each block is `size` bytes, written above.
            let bytes = unsafe { std::slice::from_raw_parts(block as *const u8, size) };
            assert!(bytes.iter().all(|b| *b == fill), "a later block overwrote an earlier one");
        }
    }

    #[test]
    fn the_newest_block_grows_in_place_and_an_older_one_moves_with_its_contents() {
        let arena = ProcessAllocator::with_reserve(1 << 20);
        // SAFETY: valid layouts; sizes passed back as allocated.
        unsafe {
            let older = arena.alloc(layout(16, 8));
            ptr::copy_nonoverlapping(b"sixteen bytes!!!".as_ptr(), older, 16);
            let newest = arena.alloc(layout(100, 8));
            let grown = arena.realloc(newest, layout(100, 8), 10_000);
            assert_eq!(grown, newest, "the newest block should grow in place");
            let moved = arena.realloc(older, layout(16, 8), 64);
            assert_ne!(moved, older, "an older block cannot grow in place");
            assert_eq!(std::slice::from_raw_parts(moved, 16), b"sixteen bytes!!!");
            assert!(moved as usize >= grown as usize + 10_000, "the moved block must not overlap the grown one");
        }
    }

    #[test]
    fn only_the_newest_block_is_handed_out_again_once_freed() {
        let arena = ProcessAllocator::with_reserve(1 << 20);
        // SAFETY: valid layouts; each block is freed with the layout it was allocated with.
        unsafe {
            let kept = arena.alloc(layout(32, 8));
            let temporary = arena.alloc(layout(48, 8));
            arena.dealloc(temporary, layout(48, 8));
            let next = arena.alloc(layout(48, 8));
            assert_eq!(next, temporary, "the freed newest block is reused");
            arena.dealloc(kept, layout(32, 8));
            let after = arena.alloc(layout(32, 8));
            assert_ne!(after, kept, "a freed block that is not the newest stays out of use");
            assert!(after as usize >= next as usize + 48);
        }
    }

    #[test]
    fn large_blocks_and_an_exhausted_arena_fall_back_to_the_system_allocator() {
        let arena = ProcessAllocator::with_reserve(64 << 10);
        // SAFETY: valid layouts; each block is freed with the layout it was allocated with.
        unsafe {
            let large = arena.alloc(layout(ProcessAllocator::LARGE, 8));
            assert!(!large.is_null() && !arena.owns(large));
            ptr::write_bytes(large, 1, ProcessAllocator::LARGE);
            arena.dealloc(large, layout(ProcessAllocator::LARGE, 8));

            let filling = arena.alloc(layout(60 << 10, 8));
            assert!(arena.owns(filling));
            assert!(!arena.owns(filling.wrapping_add(64 << 10)), "the byte past the reserve is not the arena's");
            let beyond = arena.alloc(layout(8 << 10, 8));
            assert!(!beyond.is_null() && !arena.owns(beyond), "past the reserve, blocks come from the system");
            arena.dealloc(beyond, layout(8 << 10, 8));

            // Growing an arena block past the reserve moves it to the system allocator.
            let moved = arena.realloc(filling, layout(60 << 10, 8), 128 << 10);
            assert!(!moved.is_null() && !arena.owns(moved));
            arena.dealloc(moved, layout(128 << 10, 8));
        }
    }

    #[test]
    fn the_newest_block_grown_to_a_large_size_moves_to_the_system_allocator() {
        let arena = ProcessAllocator::with_reserve(16 << 20);
        // SAFETY: valid layouts; each block is freed with the layout it was allocated with.
        unsafe {
            let newest = arena.alloc(layout(64, 8));
            ptr::write_bytes(newest, 7, 64);
            let grown = arena.realloc(newest, layout(64, 8), ProcessAllocator::LARGE);
            assert!(!arena.owns(grown), "a large block belongs to the system allocator");
            assert!(std::slice::from_raw_parts(grown, 64).iter().all(|b| *b == 7));
            arena.dealloc(grown, layout(ProcessAllocator::LARGE, 8));
        }
    }

    #[test]
    fn a_large_block_shrunk_into_the_arena_copies_only_what_fits() {
        let arena = ProcessAllocator::with_reserve(16 << 20);
        // SAFETY: valid layouts; each block is freed with the layout it was allocated with.
        unsafe {
            let large = arena.alloc(layout(2 << 20, 8));
            assert!(!arena.owns(large));
            ptr::write_bytes(large, 0xAA, 2 << 20);
            let small = arena.realloc(large, layout(2 << 20, 8), 100);
            assert!(arena.owns(small));
            assert!(std::slice::from_raw_parts(small, 100).iter().all(|b| *b == 0xAA));
            // The arena's unused memory is fresh (zero) unless a copy ran past the new block.
            let after = arena.alloc(layout(64 << 10, 8));
            assert!(
                std::slice::from_raw_parts(after, 64 << 10).iter().all(|b| *b == 0),
                "the copy wrote past the 100-byte block"
            );
        }
    }

    #[test]
    fn without_its_mapping_it_is_the_system_allocator() {
        // No kernel maps 4 EiB: every block comes from the system allocator.
        let arena = ProcessAllocator::with_reserve(1 << 62);
        // SAFETY: valid layouts; each block is freed with the layout it was allocated with.
        unsafe {
            let block = arena.alloc(layout(100, 8));
            assert!(!block.is_null() && !arena.owns(block));
            ptr::write_bytes(block, 1, 100);
            let grown = arena.realloc(block, layout(100, 8), 1000);
            assert!(!grown.is_null() && !arena.owns(grown));
            assert!(std::slice::from_raw_parts(grown, 100).iter().all(|b| *b == 1));
            arena.dealloc(grown, layout(1000, 8));
        }
    }

    #[test]
    fn threads_allocating_growing_and_freeing_at_once_never_share_a_byte() {
        let arena = ProcessAllocator::with_reserve(64 << 20);
        std::thread::scope(|scope| {
            for t in 0..4u8 {
                let arena = &arena;
                scope.spawn(move || {
                    let mut live: Vec<(*mut u8, usize)> = Vec::new();
                    for i in 0..3_000usize {
                        let size = 8 + (i * 31 + usize::from(t)) % 300;
                        // SAFETY: valid layouts; blocks are resized and freed with the layout
                        // they have; each holds `size` bytes.
                        unsafe {
                            match i % 4 {
                                // Free the newest: its range is handed out again at once.
                                3 if !live.is_empty() => {
                                    let (block, size) = live.pop().expect("not empty");
                                    assert!(std::slice::from_raw_parts(block, size).iter().all(|b| *b == t));
                                    arena.dealloc(block, layout(size, 8));
                                }
                                // Grow the newest, in place when nobody allocated since.
                                2 if !live.is_empty() => {
                                    let (block, old) = live.pop().expect("not empty");
                                    let grown = arena.realloc(block, layout(old, 8), old + size);
                                    ptr::write_bytes(grown, t, old + size);
                                    live.push((grown, old + size));
                                }
                                _ => {
                                    let block = arena.alloc(layout(size, 8));
                                    ptr::write_bytes(block, t, size);
                                    live.push((block, size));
                                }
                            }
                        }
                    }
                    for (block, size) in live {
                        // SAFETY: each live block holds `size` bytes.
                        let bytes = unsafe { std::slice::from_raw_parts(block, size) };
                        assert!(bytes.iter().all(|b| *b == t), "another thread wrote into this thread's block");
                    }
                });
            }
        });
    }

    #[test]
    fn threads_allocating_at_once_get_distinct_blocks() {
        let arena = ProcessAllocator::with_reserve(16 << 20);
        let blocks: Vec<Vec<(usize, usize)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let arena = &arena;
                    scope.spawn(move || {
                        (0..2_000)
                            .map(|i| {
                                let size = 8 + (i * 13 + t) % 200;
                                // SAFETY: non-zero size.
                                let block = unsafe { arena.alloc(layout(size, 8)) };
                                // SAFETY: the block is `size` bytes.
                                unsafe { ptr::write_bytes(block, t as u8, size) };
                                (block as usize, size)
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("no panic")).collect()
        });
        let mut all: Vec<(usize, usize)> = blocks.into_iter().flatten().collect();
        all.sort_unstable();
        for pair in all.windows(2) {
            assert!(pair[0].0 + pair[0].1 <= pair[1].0, "two threads were given overlapping blocks");
        }
    }
}
