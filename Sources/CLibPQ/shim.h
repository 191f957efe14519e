#ifndef TESTBED_CLIBPQ_SHIM_H
#define TESTBED_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
