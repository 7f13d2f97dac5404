/*
 * banned.h: functions that overflow buffers or hide state. Including this
 * header turns their use into a compile error. Use pbuf_*, snprintf,
 * memcpy with explicit lengths, strtok_r-free parsing instead.
 */
#ifndef PROV_BANNED_H
#define PROV_BANNED_H

#define PROV_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) PROV_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PROV_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PROV_BANNED(strncpy)
#undef sprintf
#define sprintf(...) PROV_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PROV_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) PROV_BANNED(strtok)
#undef gets
#define gets(x) PROV_BANNED(gets)

#endif
