//go:build musl && cgo && seccomp

package libct

/*
#include <stdarg.h>
#include <stdio.h>

// Debian's libseccomp.a is built against glibc with _FORTIFY_SOURCE: it
// calls glibc's checked fprintf (its debug output), which musl, the C
// library tug-shim links (Makefile), does not have.
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
*/
import "C"
