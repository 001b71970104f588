/* Loads a built libvectlite.so into a process of the target's own C library (for musl:
 * compiled with musl-gcc, run by musl's loader) and makes real calls through the C ABI:
 * the ABI version, an error reply, opening, counting and closing a database. Used by
 * scripts/build-targets.sh; prints one line and exits non-zero on any mismatch. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint32_t (*abi_fn)(void);
typedef int32_t (*open_fn)(const char *, size_t, const char *, size_t, uint64_t *);
typedef int32_t (*count_fn)(uint64_t, const char *, size_t, uint64_t *);
typedef int32_t (*close_fn)(uint64_t, uint64_t *);
typedef void (*free_fn)(void *, size_t);

static int fail(const char *what) {
    printf("load_check: FAILED: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) return fail("usage: load_check <libvectlite.so> <database path>");
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) return fail(dlerror());
    abi_fn abi = (abi_fn)dlsym(lib, "vl_abi_version");
    open_fn vl_open = (open_fn)dlsym(lib, "vl_open");
    count_fn vl_count = (count_fn)dlsym(lib, "vl_count");
    close_fn vl_close = (close_fn)dlsym(lib, "vl_close");
    free_fn vl_buf_free = (free_fn)dlsym(lib, "vl_buf_free");
    if (!abi || !vl_open || !vl_count || !vl_close || !vl_buf_free) return fail("a vl_* symbol is missing");
    uint64_t out[3] = {0, 0, 0};
    const char *bad = "{\"dimension\":-1}";
    int32_t status = vl_open(argv[2], strlen(argv[2]), bad, strlen(bad), out);
    if (status == 0 || out[1] == 0) return fail("a negative dimension was accepted");
    vl_buf_free((void *)(uintptr_t)out[0], (size_t)out[1]);
    const char *opts = "{\"dimension\":3}";
    if (vl_open(argv[2], strlen(argv[2]), opts, strlen(opts), out) != 0) return fail("vl_open");
    uint64_t handle = out[2];
    if (vl_count(handle, "{}", 2, out) != 0 || out[2] != 0) return fail("vl_count of a new database");
    if (vl_close(handle, out) != 0) return fail("vl_close");
    printf("load_check: ABI %u, error codes, open, count and close work\n", abi());
    return 0;
}
