/* money.h: how the terminal shows amounts of money. */
#ifndef DTC_CLI_MONEY_H
#define DTC_CLI_MONEY_H
#include <stdint.h>

/* Micro-units as currency units with thousands separators and cents, rounded
 * half away from zero: 191983813456 -> "191,983.81". dst holds >= 32 bytes. */
void fmt_money(char *dst, int64_t micro);

#endif
