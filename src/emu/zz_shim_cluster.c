/* TEMPORARY: replaced by emu_cluster.c; delete this file when that lands. */
#include "emu.h"
void emu_h_license_export(emu_req *r) { emu_error(r, 501, "not yet"); }
void emu_h_license_hour(emu_req *r) { emu_error(r, 501, "not yet"); }
