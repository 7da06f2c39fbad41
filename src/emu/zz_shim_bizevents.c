/* TEMPORARY: replaced by emu_bizevents.c; delete this file when that lands. */
#include "emu.h"
void emu_h_bizevents(emu_req *r) { emu_error(r, 501, "not yet"); }
void emu_bizevents_store_dispose(emu_server *s) { (void)s; }
int emu_bizevents_snapshot(emu_server *s, dtc_buf *out) { (void)s; return dtc_buf_adds(out, "[]"); }
void emu_bizevents_clear(emu_server *s) { (void)s; }
