/* Builds the unwinder for musl targets out of Debian's gcc (scripts/build-targets.sh).
 *
 * Rust's musl cdylib links the unwinder as libgcc_s, which Debian has only for glibc. The
 * build script links gcc's static unwinder (libgcc_eh.a) in its place, so the library
 * carries its own unwinder and needs no libgcc_s at run time. That unwinder was built
 * against glibc 2.36 and finds a function's unwind tables with glibc's _dl_find_object,
 * which musl lacks: this file supplies it from dl_iterate_phdr, which musl has.
 * Interface as documented in glibc's <dlfcn.h> (x86_64/aarch64 layout). */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>

struct dl_find_object {
    unsigned long long dlfo_flags;
    void *dlfo_map_start;
    void *dlfo_map_end;
    void *dlfo_link_map;
    void *dlfo_eh_frame;
    unsigned long long reserved[7];
};

struct search {
    uintptr_t pc;
    struct dl_find_object *out;
    int found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *arg) {
    struct search *s = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    const void *eh_frame = NULL;
    int contains = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (start < lo) lo = start;
            if (start + ph->p_memsz > hi) hi = start + ph->p_memsz;
            if (s->pc >= start && s->pc < start + ph->p_memsz) contains = 1;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh_frame = (const void *)start;
        }
    }
    if (!contains) return 0;
    s->out->dlfo_flags = 0;
    s->out->dlfo_map_start = (void *)lo;
    s->out->dlfo_map_end = (void *)hi;
    s->out->dlfo_link_map = NULL;
    s->out->dlfo_eh_frame = (void *)eh_frame;
    s->found = 1;
    return 1;
}

/* Hidden: it serves the unwinder linked into the same library and is not exported. */
__attribute__((visibility("hidden"))) int _dl_find_object(void *pc, struct dl_find_object *result) {
    struct search s = { (uintptr_t)pc, result, 0 };
    dl_iterate_phdr(visit, &s);
    return s.found ? 0 : -1;
}
