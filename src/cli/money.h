/* money.h: how the terminal shows amounts of money. */
#ifndef DTC_CLI_MONEY_H
#define DTC_CLI_MONEY_H
#include <stdint.h>

/* Micro-units as currency units with thousands separators and cents, rounded
 * half away from zero: 191983813456 -> "191,983.81". dst holds >= 32 bytes. */
void fmt_money(char *dst, int64_t micro);

/* A fixed-point quantity (value / 10^places) shown with `shown` decimals and
 * thousands separators, rounded half away from zero: (2793608500, 3, 1) ->
 * "2,793,608.5". dst holds >= 40 bytes. */
void fmt_units(char *dst, int64_t value, int places, int shown);

#endif
