/* Wine 8 (Debian 12) has no bcryptprimitives.dll, and Rust's std for Windows imports
 * ProcessPrng from it (random HashMap keys). Windows 10 and later ship the real one; this
 * stand-in exists only so that the Rust test suite runs under wine here. It forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which wine implements. Not shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
