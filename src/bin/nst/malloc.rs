//! Keep freed memory in the process instead of returning it to the kernel.
//!
//! Every layer allocates its output, and the backward pass its gradient, afresh on each
//! call: tensors of megabytes. glibc's `malloc` serves such sizes with `mmap` and gives
//! them back with `munmap` on `free`, so every iteration of an optimisation maps new
//! pages, and the first write to each page is a page fault — with two threads, a fault
//! that also flushes the other core's TLB. Measured on `nst stylize` at 256 px, two
//! threads: 13 % of the time went to those faults.
//!
//! [`keep_freed_memory`] raises glibc's mmap threshold to its maximum (32 MiB on 64-bit:
//! smaller blocks come from the heap and are reused) and stops it trimming the heap
//! (`M_TRIM_THRESHOLD = -1`, which mallopt(3) documents as "disables trimming
//! completely"), so after the first iteration the same memory is handed out again. The
//! largest positive threshold, `i32::MAX`, is not enough: it still trims whenever more than
//! 2 GiB lie free at the top of the heap, which is every pass once a picture's activations
//! pass 2 GiB. Measured with `nst stylize … --size 2048 --iterations 3` (2048×1152, 4.7 GB
//! of activations), the same binary with each: page faults 3.94 M → 1.49 M, system time
//! 22.2 → 8.1 s, wall time 80.5 → 65.9 s, the same peak. The threshold cannot go
//! higher, and at 512² VGG's first-block tensors are 64 MB, so it also turns `mmap` off for
//! allocations altogether (`M_MMAP_MAX = 0`): those come from the heap too. Measured with
//! `nst bench --sizes 512 --per-layer`, 2 threads, quiet machine: relu1_1's backward pass
//! 144 → 32 ms, pool1's 115 → 15 ms, conv1_2's input gradient 256 → 137 ms, VGG16
//! forward + backward 1.78 → 1.49 s, and peak memory 513 → 465 MB (reused blocks instead
//! of fresh mappings). Peak memory barely
//! moves, since freed blocks are reused rather than kept beside new ones (`nst stylize`, 300
//! iterations at 256 px: 328 MB before, 324 MB after). On other platforms
//! (macOS, Windows, musl) it does nothing; their allocators behave differently and the
//! program is correct either way.
//!
//! Kept memory is reused as long as what is allocated keeps its sizes. A `--scales` run
//! changes them at each stage: the last stage's freed blocks stay in the process, cut to
//! its tensors' sizes and split by what outlives it, and the next stage's larger tensors
//! fit in few of them. [`release_free_memory`] hands the free blocks' pages back to the
//! kernel between stages (`malloc_trim`), so a stage's peak memory is what it touches
//! itself. Measured on the README's poster: without it, the top stage started with the
//! 2048 px stage's 5.2 GB resident; with it, 1.5 GB (docs/performance.md, "Posters").
//!
//! It is the binary's, not the library's: how the process's allocator behaves is the
//! program's choice, and a program that links `nst` as a library keeps its own. The
//! library's `unsafe` is in `math::gemm`, `math::simd` and the layers' `assume_init` calls
//! (docs/architecture.md); the
//! binary's are this module's `mallopt` and `malloc_trim` calls and the SIGTERM handling in
//! `signals`.

/// Tune the C allocator for repeated large allocations (see the module documentation).
/// Call once, early; harmless to call again. Does nothing outside glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's <malloc.h>: int mallopt(int param, int value).
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_MMAP_MAX: i32 = -4;
        // SAFETY: mallopt only changes allocator parameters; any values are allowed
        // (out-of-range ones are refused with a return of 0, leaving the defaults).
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_MMAP_MAX, 0);
            mallopt(M_TRIM_THRESHOLD, -1);
        }
    }
}

/// Give the pages of every free block back to the kernel (glibc's `malloc_trim(0)`),
/// keeping the blocks themselves for reuse: a stage of a `--scales` run starts with only
/// what it holds resident (see the module documentation). Does nothing outside glibc.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's <malloc.h>: int malloc_trim(size_t pad).
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free memory to the kernel; it touches no
        // allocated block.
        unsafe {
            malloc_trim(0);
        }
    }
}
