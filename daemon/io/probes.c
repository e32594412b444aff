/* The semaphores of the USDT probes (probes.h): in the ELF section
 * .probes, where tracers find them through the probes' notes. */
#include "io/probes.h"

#define KB_PROBE_DEFINE(n)                                                     \
	volatile unsigned short KB_PROBE_SEMAPHORE(n)                          \
		__attribute__((section(".probes")));
KB_PROBE_LIST(KB_PROBE_DEFINE)
