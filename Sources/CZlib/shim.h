#ifndef TESTBED_CZLIB_SHIM_H
#define TESTBED_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro (it passes the library's version and the stream's size); Swift
/// cannot call it.
static inline int testbed_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

/// deflateInit2 is a macro, like inflateInit2.
static inline int testbed_deflate_init2(z_streamp stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
#endif
